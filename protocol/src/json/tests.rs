use super::*;

/// serde_json reads the same text as the same value.
fn same_as_serde(text: &str) {
    let ours = parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
    let theirs: serde_json::Value = serde_json::from_str(text).unwrap();
    let written: serde_json::Value = serde_json::from_str(&ours.to_json()).unwrap();
    assert_eq!(written, theirs, "{text:?}");
}

#[test]
fn reads_and_writes_what_serde_json_reads() {
    for text in [
        "null",
        " true ",
        "false",
        "0",
        "-0",
        "12345678901234567890",
        "-1.5e-3",
        "2E+10",
        "0.7",
        r#""""#,
        r#""a\"b\\c\/d\b\f\n\r\t""#,
        r#""\u00e9\u4e2d\ud83d\ude00 é 中 😀""#,
        "[]",
        "[1, [2, [3, []]], {}]",
        r#"{"a": 1, "b": [true, false, null], "c": {"d": "e"}}"#,
        r#"{"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}],"usage":null}"#,
        "\n\t{ \"spaced\" :\r\n [ 1 , 2 ] }\n",
    ] {
        same_as_serde(text);
    }
}

#[test]
fn refuses_what_is_not_json_and_says_where() {
    for (text, what, column) in [
        ("", "EOF while parsing a value", 1),
        ("[1,]", "expected value", 4),
        ("[1 2]", "expected `,` or `]`", 4),
        (r#"{"a" 1}"#, "expected `:`", 6),
        (r#"{"a":1,}"#, "key must be a string", 8),
        ("{1:2}", "key must be a string", 2),
        (r#""abc"#, "EOF while parsing a string", 5),
        ("\"a\u{1}b\"", "control character in string", 3),
        (r#""\x""#, "invalid escape", 4),
        (r#""\ud800""#, "lone leading surrogate in hex escape", 8),
        (r#""\udc00""#, "lone trailing surrogate in hex escape", 8),
        ("01", "trailing characters", 2),
        ("1.", "invalid number", 3),
        ("-", "invalid number", 2),
        (".5", "expected value", 1),
        ("1e", "invalid number", 3),
        ("tru", "expected value", 1),
        ("nul", "expected value", 1),
        ("[1] x", "trailing characters", 5),
        ("NaN", "expected value", 1),
        ("1e400", "number out of range", 6),
    ] {
        let error = parse(text).expect_err(text);
        assert_eq!((error.what, error.line, error.column), (what, 1, column), "{text:?}");
        assert!(serde_json::from_str::<serde_json::Value>(text).is_err(), "serde_json reads {text:?}");
    }
    let error = parse("{\n  \"a\": [1,\n  ]\n}").unwrap_err();
    assert_eq!((error.line, error.column), (3, 3));
    assert_eq!(error.to_string(), "expected value at line 3 column 3");
}

/// Texts made of JSON's tokens, valid or not: accepted exactly when
/// serde_json accepts them, and then read alike.
#[test]
fn agrees_with_serde_json_on_generated_texts() {
    const TOKENS: [&str; 24] = [
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        " ",
        "\"a\"",
        "\"\\u00e9\"",
        "\"\\n\"",
        "\"é\"",
        "0",
        "-1",
        "2.5",
        "1e5",
        "-0.0e-2",
        "true",
        "false",
        "null",
        "\"",
        "\\",
        "01",
        "1.",
        "\"k\":",
    ];
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut accepted = 0;
    for _ in 0..50_000 {
        let len = 1 + next() % 12;
        let text: String = (0..len).map(|_| TOKENS[(next() % TOKENS.len() as u64) as usize]).collect();
        let ours = parse(&text);
        let theirs = serde_json::from_str::<serde_json::Value>(&text);
        assert_eq!(ours.is_ok(), theirs.is_ok(), "{text:?}: {ours:?}");
        if let (Ok(ours), Ok(theirs)) = (ours, theirs) {
            accepted += 1;
            assert_eq!(serde_json::from_str::<serde_json::Value>(&ours.to_json()).unwrap(), theirs, "{text:?}");
        }
    }
    assert!(accepted > 1_000, "only {accepted} valid texts generated");
}

#[test]
fn strings_are_written_as_serde_json_writes_them() {
    let mut all: String = (0u8..0x80).map(char::from).collect();
    all.push_str("é中😀\u{2028}\u{7f}");
    for s in [all.as_str(), "", "plain", "\"quoted\"", "back\\slash", "data:image/png;base64,iVBOR/+="] {
        let mut ours = String::new();
        write_str(&mut ours, s);
        assert_eq!(ours, serde_json::to_string(s).unwrap());
        assert_eq!(parse(&ours).unwrap(), Value::String(s.to_owned()));
    }
}

#[test]
fn numbers_keep_their_text_and_read_as_floats() {
    for text in ["0", "-0", "0.7", "1e-5", "-1.2345e-05", "3.14159", "100", "-2", "0.000123", "1E3", "9007199254740993"]
    {
        let Value::Number(n) = parse(text).unwrap() else { panic!("{text}") };
        assert_eq!(n.as_str(), text);
        assert_eq!(n.as_f64(), text.parse::<f64>().unwrap(), "{text}");
    }
    // Outside the exact range: within a few units in the last place.
    for text in ["1.7e308", "2.2250738585072014e-308", "123456789012345678901234567890", "4.9e-324", "1e-400"] {
        let Value::Number(n) = parse(text).unwrap() else { panic!("{text}") };
        let exact = text.parse::<f64>().unwrap();
        assert!((n.as_f64() - exact).abs() <= exact.abs() * 1e-14, "{text}: {} vs {exact}", n.as_f64());
    }
    let n = |text: &str| match parse(text).unwrap() {
        Value::Number(n) => n,
        _ => unreachable!(),
    };
    assert_eq!(n("42").as_u64(), Some(42));
    assert_eq!(n("-42").as_u64(), None);
    assert_eq!(n("-42").as_i64(), Some(-42));
    assert_eq!(n("4.2").as_u64(), None);
    assert_eq!(n("1e3").as_u64(), None);
    assert_eq!(n("18446744073709551616").as_u64(), None);
}

#[test]
fn typed_decimals_become_json_numbers() {
    for (typed, json) in [
        ("0.7", "0.7"),
        ("-1.5", "-1.5"),
        ("+2", "2"),
        (".5", "0.5"),
        ("2.", "2"),
        ("007", "7"),
        ("-0", "-0"),
        ("0", "0"),
    ] {
        let number = Number::from_decimal(typed).unwrap_or_else(|| panic!("{typed}"));
        assert_eq!(number.as_str(), json);
        assert_eq!(parse(json).unwrap(), Value::Number(number.clone()), "{typed}");
        assert_eq!(number.as_f64(), typed.parse::<f64>().unwrap(), "{typed}");
    }
    for typed in ["", ".", "-", "1e3", "1,5", "0x1", "inf", " 1", "1.2.3", "--1"] {
        assert_eq!(Number::from_decimal(typed), None, "{typed}");
    }
}

#[test]
fn objects_keep_order_and_the_last_of_a_repeated_name_counts() {
    let value = parse(r#"{"z": 1, "a": 2, "z": 3}"#).unwrap();
    assert_eq!(value.get("z").and_then(Value::as_u64), Some(3));
    assert_eq!(value.to_json(), r#"{"z":1,"a":2,"z":3}"#);
    let mut map = value.as_object().unwrap().clone();
    map.insert("z", Value::from("x"));
    assert_eq!(Value::Object(map.clone()).to_json(), r#"{"a":2,"z":"x"}"#);
    assert_eq!(map.remove("a"), Some(Value::from(2u64)));
    assert!(!map.contains_key("a"));
    assert_eq!(map.len(), 1);
}

#[test]
fn hostile_texts_fail_fast_or_read_in_linear_time() {
    let deep = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
    assert!(parse(&deep).is_ok());
    let too_deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
    assert_eq!(parse(&too_deep).unwrap_err().what, "nested too deeply");
    // A million openers: refused at the limit, without recursing further.
    assert_eq!(parse(&"{\"a\":".repeat(1_000_000)).unwrap_err().what, "nested too deeply");
    assert_eq!(parse(&"[".repeat(1_000_000)).unwrap_err().what, "nested too deeply");

    let started = std::time::Instant::now();
    let many: String = (0..100_000).map(|i| format!("\"k{i}\":{i},")).collect();
    let value = parse(&format!("{{{}\"last\":true}}", many)).unwrap();
    assert_eq!(value.as_object().unwrap().len(), 100_001);
    let long = format!("\"{}\"", "a\\n".repeat(1_000_000));
    assert_eq!(parse(&long).unwrap().as_str().map(str::len), Some(2_000_000));
    assert!(started.elapsed().as_secs() < 5, "took {:?}", started.elapsed());
}
