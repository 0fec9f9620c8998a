//! JSON text (RFC 8259), read into a [`Value`] and written back, by hand.
//!
//! The widget and the proxy need only this much JSON: the wire types in
//! [`crate::wire`] decode from a [`Value`] and write themselves. serde and
//! serde_json did the same through generic code monomorphised for every type,
//! which was a sixth of the widget's WebAssembly.
//!
//! * Numbers keep their text ([`Number`]): what a person typed (`0.7`) goes
//!   out as typed, passed-through parameters round-trip exactly, and no float
//!   printing is needed.
//! * Objects keep their members in order; a repeated name is kept as it came,
//!   and [`Value::get`] reads the last one (as most parsers do).
//! * Hostile input cannot exhaust the stack (nesting stops at [`MAX_DEPTH`])
//!   nor take more than linear time.

use std::fmt;

/// Deepest nesting of arrays and objects accepted (serde_json's limit too).
pub const MAX_DEPTH: usize = 128;

/// A JSON value.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Array(Vec<Value>),
    Object(Map),
}

/// A JSON number, as its text (always valid JSON number syntax).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Number(String);

/// The members of an object, in order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Map(Vec<(String, Value)>);

/// Why a text is not JSON, and where (1-based line and column, in bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub what: &'static str,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at line {} column {}", self.what, self.line, self.column)
    }
}

/// Reads a whole JSON text (surrounding whitespace allowed).
pub fn parse(text: &str) -> Result<Value, Error> {
    let mut reader = Reader { text, bytes: text.as_bytes(), at: 0, depth: 0 };
    let value = reader.value()?;
    reader.whitespace();
    if reader.at < reader.bytes.len() {
        return Err(reader.error("trailing characters"));
    }
    Ok(value)
}

impl Value {
    /// The member `name` of an object.
    pub fn get(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Object(map) => map.get(name),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(n.as_f64()),
            _ => None,
        }
    }

    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Number(n) => n.as_u64(),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Number(n) => n.as_i64(),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&Vec<Value>> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&Map> {
        match self {
            Value::Object(map) => Some(map),
            _ => None,
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<u64> for Value {
    fn from(n: u64) -> Self {
        Value::Number(Number::from(n))
    }
}

impl From<Number> for Value {
    fn from(n: Number) -> Self {
        Value::Number(n)
    }
}

impl Map {
    pub fn new() -> Self {
        Map(Vec::new())
    }

    /// The last member called `name`.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// Sets `name` (replacing every member of that name) to `value`.
    pub fn insert(&mut self, name: impl Into<String>, value: Value) {
        let name = name.into();
        self.0.retain(|(n, _)| *n != name);
        self.0.push((name, value));
    }

    pub fn remove(&mut self, name: &str) -> Option<Value> {
        let last = self.0.iter().rposition(|(n, _)| n == name)?;
        let value = self.0.remove(last).1;
        self.0.retain(|(n, _)| n != name);
        Some(value)
    }

    pub fn contains_key(&self, name: &str) -> bool {
        self.0.iter().any(|(n, _)| n == name)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v))
    }
}

impl Number {
    /// A plain decimal as people type it (`0.7`, `-1.5`, `+2`, `.5`, `2.`,
    /// `007`) in JSON's spelling (`0.7`, `-1.5`, `2`, `0.5`, `2`, `7`), or
    /// `None` when it is not one.
    pub fn from_decimal(raw: &str) -> Option<Number> {
        let (negative, whole, fraction) = crate::number::decimal_parts(raw)?;
        let whole = whole.trim_start_matches('0');
        let mut text = String::with_capacity(raw.len() + 1);
        if negative {
            text.push('-');
        }
        text.push_str(if whole.is_empty() { "0" } else { whole });
        if !fraction.is_empty() {
            text.push('.');
            text.push_str(fraction);
        }
        Some(Number(text))
    }

    /// The number as text, exactly as it came.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The nearest f64: exact (correctly rounded) for up to 15 significant
    /// digits and exponents within ±22, which covers what the API sends;
    /// otherwise within a few units in the last place.
    pub fn as_f64(&self) -> f64 {
        let bytes = self.0.as_bytes();
        let negative = bytes.first() == Some(&b'-');
        let mut mantissa: u64 = 0;
        let mut exponent: i32 = 0;
        let mut digits = 0;
        let mut at = usize::from(negative);
        let mut fraction = false;
        while at < bytes.len() {
            match bytes[at] {
                b'.' => fraction = true,
                b @ b'0'..=b'9' => {
                    if digits < 19 {
                        if mantissa > 0 || b != b'0' {
                            digits += 1;
                        }
                        mantissa = mantissa * 10 + u64::from(b - b'0');
                        exponent -= i32::from(fraction);
                    } else {
                        exponent += i32::from(!fraction);
                    }
                }
                _ => break,
            }
            at += 1;
        }
        if at < bytes.len() {
            // An exponent: [eE][+-]?digits.
            let text = &self.0[at + 1..];
            let (sign, text) = match text.as_bytes().first() {
                Some(b'-') => (-1, &text[1..]),
                Some(b'+') => (1, &text[1..]),
                _ => (1, text),
            };
            let value = text.bytes().fold(0i32, |e, b| e.saturating_mul(10).saturating_add(i32::from(b - b'0')));
            exponent = exponent.saturating_add(sign * value);
        }
        let value = if mantissa == 0 {
            0.0
        } else if mantissa < 1 << 53 && (-22..=22).contains(&exponent) {
            // Both operands exact: one rounding (Clinger's fast path).
            if exponent < 0 {
                mantissa as f64 / 10f64.powi(-exponent)
            } else {
                mantissa as f64 * 10f64.powi(exponent)
            }
        } else if exponent < -300 {
            // Split so that 10^-e does not overflow before the division.
            mantissa as f64 / 10f64.powi(-exponent - 300) / 1e300
        } else {
            mantissa as f64 * 10f64.powi(exponent)
        };
        if negative {
            -value
        } else {
            value
        }
    }

    /// The number as a u64, when it is a whole number in range written
    /// without fraction or exponent.
    pub fn as_u64(&self) -> Option<u64> {
        self.0.parse().ok()
    }

    /// The number as an i64, when it is a whole number in range written
    /// without fraction or exponent.
    pub fn as_i64(&self) -> Option<i64> {
        self.0.parse().ok()
    }
}

/// Whole numbers as JSON numbers.
macro_rules! integers_to_number {
    ($($type:ty),*) => {$(
        impl From<$type> for Number {
            fn from(n: $type) -> Self {
                Number(n.to_string())
            }
        }
    )*};
}

integers_to_number!(u64, u32, i64);

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A type read from a JSON value. The error says what did not fit.
pub trait FromJson: Sized {
    fn from_json(value: &Value) -> Result<Self, String>;

    /// Reads a whole JSON text as this type.
    fn from_json_str(text: &str) -> Result<Self, String> {
        Self::from_json(&parse(text).map_err(|e| e.to_string())?)
    }
}

/// A type written as JSON text.
pub trait ToJson {
    fn write_json(&self, out: &mut String);

    fn to_json(&self) -> String {
        let mut out = String::new();
        self.write_json(&mut out);
        out
    }
}

fn expected(what: &str, value: &Value) -> String {
    let found = match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    };
    format!("expected {what}, found {found}")
}

impl FromJson for Value {
    fn from_json(value: &Value) -> Result<Self, String> {
        Ok(value.clone())
    }
}

impl FromJson for String {
    fn from_json(value: &Value) -> Result<Self, String> {
        value.as_str().map(str::to_owned).ok_or_else(|| expected("a string", value))
    }
}

impl FromJson for bool {
    fn from_json(value: &Value) -> Result<Self, String> {
        value.as_bool().ok_or_else(|| expected("a boolean", value))
    }
}

impl FromJson for Number {
    fn from_json(value: &Value) -> Result<Self, String> {
        match value {
            Value::Number(n) => Ok(n.clone()),
            _ => Err(expected("a number", value)),
        }
    }
}

impl FromJson for u64 {
    fn from_json(value: &Value) -> Result<Self, String> {
        value.as_u64().ok_or_else(|| expected("a whole number", value))
    }
}

impl FromJson for u32 {
    fn from_json(value: &Value) -> Result<Self, String> {
        value.as_u64().and_then(|n| u32::try_from(n).ok()).ok_or_else(|| expected("a whole number", value))
    }
}

impl FromJson for u16 {
    fn from_json(value: &Value) -> Result<Self, String> {
        value.as_u64().and_then(|n| u16::try_from(n).ok()).ok_or_else(|| expected("a whole number", value))
    }
}

impl FromJson for i64 {
    fn from_json(value: &Value) -> Result<Self, String> {
        value.as_i64().ok_or_else(|| expected("a whole number", value))
    }
}

impl<T: FromJson> FromJson for Vec<T> {
    fn from_json(value: &Value) -> Result<Self, String> {
        let items = value.as_array().ok_or_else(|| expected("an array", value))?;
        items.iter().enumerate().map(|(i, item)| T::from_json(item).map_err(|e| format!("[{i}]: {e}"))).collect()
    }
}

/// As JSON text, without insignificant whitespace.
impl ToJson for Value {
    fn write_json(&self, out: &mut String) {
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => b.write_json(out),
            Value::Number(n) => n.write_json(out),
            Value::String(s) => s.write_json(out),
            Value::Array(items) => items.write_json(out),
            Value::Object(map) => map.write_json(out),
        }
    }
}

impl ToJson for Map {
    fn write_json(&self, out: &mut String) {
        let mut object = ObjectWriter::new(out);
        for (name, value) in self.iter() {
            object.field(name, value);
        }
        object.end();
    }
}

impl ToJson for str {
    fn write_json(&self, out: &mut String) {
        write_str(out, self);
    }
}

impl ToJson for String {
    fn write_json(&self, out: &mut String) {
        write_str(out, self);
    }
}

impl ToJson for bool {
    fn write_json(&self, out: &mut String) {
        out.push_str(if *self { "true" } else { "false" });
    }
}

impl ToJson for Number {
    fn write_json(&self, out: &mut String) {
        out.push_str(&self.0);
    }
}

/// Whole numbers, written as Rust prints them (which is JSON's spelling).
macro_rules! integers_to_json {
    ($($type:ty),*) => {$(
        impl ToJson for $type {
            fn write_json(&self, out: &mut String) {
                out.push_str(&self.to_string());
            }
        }
    )*};
}

integers_to_json!(u64, u32, u16, i64);

impl<T: ToJson> ToJson for Vec<T> {
    fn write_json(&self, out: &mut String) {
        out.push('[');
        for (i, item) in self.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            item.write_json(out);
        }
        out.push(']');
    }
}

impl<T: ToJson> ToJson for Option<T> {
    fn write_json(&self, out: &mut String) {
        match self {
            Some(value) => value.write_json(out),
            None => out.push_str("null"),
        }
    }
}

/// The members of an object being read into a type.
pub struct Fields<'a>(&'a Map);

impl<'a> Fields<'a> {
    /// `value`'s members; `what` names the type in the error.
    pub fn of(value: &'a Value, what: &str) -> Result<Self, String> {
        value.as_object().map(Fields).ok_or_else(|| expected(&format!("an object ({what})"), value))
    }

    /// A member that must be there (and not null).
    pub fn required<T: FromJson>(&self, name: &str) -> Result<T, String> {
        self.optional(name)?.ok_or_else(|| format!("missing field `{name}`"))
    }

    /// A member that may be absent or null.
    pub fn optional<T: FromJson>(&self, name: &str) -> Result<Option<T>, String> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => T::from_json(value).map(Some).map_err(|e| format!("`{name}`: {e}")),
        }
    }

    /// A member whose absence (or null) means its default.
    pub fn or_default<T: FromJson + Default>(&self, name: &str) -> Result<T, String> {
        Ok(self.optional(name)?.unwrap_or_default())
    }

    /// Members other than `known`, in order.
    pub fn others(&self, known: &[&str]) -> Map {
        Map(self.0.iter().filter(|(n, _)| !known.contains(n)).map(|(n, v)| (n.to_owned(), v.clone())).collect())
    }
}

/// `s` quoted and escaped as a JSON string: how a token or a typed value is
/// shown in a message, whitespace and quotes visible.
pub fn quoted(s: &str) -> String {
    s.to_json()
}

/// Appends `s` as a JSON string: quoted, with `"`, `\` and control
/// characters escaped (everything else as it is).
pub fn write_str(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    let mut plain = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[plain..i]);
        if escape.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        } else {
            out.push_str(escape);
        }
        plain = i + 1;
    }
    out.push_str(&s[plain..]);
    out.push('"');
}

/// Writes an object member by member: `member` writes the separator and the
/// name, and returns the text to append the member's value to.
pub struct ObjectWriter<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> ObjectWriter<'a> {
    pub fn new(out: &'a mut String) -> Self {
        out.push('{');
        ObjectWriter { out, first: true }
    }

    pub fn member(&mut self, name: &str) -> &mut String {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        write_str(self.out, name);
        self.out.push(':');
        self.out
    }

    /// A member written by its type.
    pub fn field<T: ToJson + ?Sized>(&mut self, name: &str, value: &T) {
        value.write_json(self.member(name));
    }

    /// A member written only when there is a value (absent, never `null`).
    pub fn some<T: ToJson>(&mut self, name: &str, value: &Option<T>) {
        if let Some(value) = value {
            self.field(name, value);
        }
    }

    pub fn end(self) {
        self.out.push('}');
    }
}

struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
    depth: usize,
}

impl Reader<'_> {
    fn error(&self, what: &'static str) -> Error {
        let before = &self.bytes[..self.at.min(self.bytes.len())];
        let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
        let column = 1 + before.iter().rev().take_while(|&&b| b != b'\n').count();
        Error { what, line, column }
    }

    fn whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.at) {
            self.at += 1;
        }
    }

    fn value(&mut self) -> Result<Value, Error> {
        self.whitespace();
        match self.bytes.get(self.at) {
            None => Err(self.error("EOF while parsing a value")),
            Some(b'{') => self.nested(Reader::object),
            Some(b'[') => self.nested(Reader::array),
            Some(b'"') => self.string().map(Value::String),
            Some(b'-' | b'0'..=b'9') => self.number().map(Value::Number),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::Null),
            Some(_) => Err(self.error("expected value")),
        }
    }

    fn nested(&mut self, read: fn(&mut Self) -> Result<Value, Error>) -> Result<Value, Error> {
        if self.depth == MAX_DEPTH {
            return Err(self.error("nested too deeply"));
        }
        self.depth += 1;
        self.at += 1; // `{` or `[`
        let value = read(self);
        self.depth -= 1;
        value
    }

    fn literal(&mut self, word: &str, value: Value) -> Result<Value, Error> {
        if self.bytes[self.at..].starts_with(word.as_bytes()) {
            self.at += word.len();
            Ok(value)
        } else {
            Err(self.error("expected value"))
        }
    }

    fn array(&mut self) -> Result<Value, Error> {
        let mut items = Vec::new();
        self.whitespace();
        if self.bytes.get(self.at) == Some(&b']') {
            self.at += 1;
            return Ok(Value::Array(items));
        }
        loop {
            items.push(self.value()?);
            self.whitespace();
            match self.bytes.get(self.at) {
                Some(b',') => self.at += 1,
                Some(b']') => {
                    self.at += 1;
                    return Ok(Value::Array(items));
                }
                None => return Err(self.error("EOF while parsing a list")),
                Some(_) => return Err(self.error("expected `,` or `]`")),
            }
        }
    }

    fn object(&mut self) -> Result<Value, Error> {
        let mut members = Vec::new();
        self.whitespace();
        if self.bytes.get(self.at) == Some(&b'}') {
            self.at += 1;
            return Ok(Value::Object(Map(members)));
        }
        loop {
            self.whitespace();
            match self.bytes.get(self.at) {
                Some(b'"') => {}
                None => return Err(self.error("EOF while parsing an object")),
                Some(_) => return Err(self.error("key must be a string")),
            }
            let name = self.string()?;
            self.whitespace();
            match self.bytes.get(self.at) {
                Some(b':') => self.at += 1,
                None => return Err(self.error("EOF while parsing an object")),
                Some(_) => return Err(self.error("expected `:`")),
            }
            members.push((name, self.value()?));
            self.whitespace();
            match self.bytes.get(self.at) {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    return Ok(Value::Object(Map(members)));
                }
                None => return Err(self.error("EOF while parsing an object")),
                Some(_) => return Err(self.error("expected `,` or `}`")),
            }
        }
    }

    /// A string, from its opening quote.
    fn string(&mut self) -> Result<String, Error> {
        self.at += 1;
        let mut out = String::new();
        let mut plain = self.at;
        loop {
            let Some(&b) = self.bytes.get(self.at) else {
                return Err(self.error("EOF while parsing a string"));
            };
            match b {
                b'"' => {
                    out.push_str(&self.text[plain..self.at]);
                    self.at += 1;
                    return Ok(out);
                }
                b'\\' => {
                    out.push_str(&self.text[plain..self.at]);
                    self.at += 1;
                    self.escape(&mut out)?;
                    plain = self.at;
                }
                0..=0x1f => return Err(self.error("control character in string")),
                _ => self.at += 1,
            }
        }
    }

    /// The escape after a backslash.
    fn escape(&mut self, out: &mut String) -> Result<(), Error> {
        let Some(&b) = self.bytes.get(self.at) else {
            return Err(self.error("EOF while parsing a string"));
        };
        self.at += 1;
        let c = match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let high = self.hex4()?;
                let code = match high {
                    0xd800..=0xdbff => {
                        if !self.bytes[self.at..].starts_with(b"\\u") {
                            return Err(self.error("lone leading surrogate in hex escape"));
                        }
                        self.at += 2;
                        let low = self.hex4()?;
                        if !(0xdc00..=0xdfff).contains(&low) {
                            return Err(self.error("lone leading surrogate in hex escape"));
                        }
                        0x10000 + ((high - 0xd800) << 10) + (low - 0xdc00)
                    }
                    0xdc00..=0xdfff => return Err(self.error("lone trailing surrogate in hex escape")),
                    code => code,
                };
                char::from_u32(code).ok_or_else(|| self.error("invalid escape"))?
            }
            _ => return Err(self.error("invalid escape")),
        };
        out.push(c);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, Error> {
        let mut code = 0;
        for _ in 0..4 {
            let digit = self.bytes.get(self.at).and_then(|&b| char::from(b).to_digit(16));
            let Some(digit) = digit else {
                return Err(self.error("invalid escape"));
            };
            code = code * 16 + digit;
            self.at += 1;
        }
        Ok(code)
    }

    fn number(&mut self) -> Result<Number, Error> {
        let start = self.at;
        let digits = |r: &mut Self| {
            let from = r.at;
            while r.bytes.get(r.at).is_some_and(u8::is_ascii_digit) {
                r.at += 1;
            }
            r.at > from
        };
        if self.bytes[self.at] == b'-' {
            self.at += 1;
        }
        match self.bytes.get(self.at) {
            Some(b'0') => self.at += 1,
            Some(b'1'..=b'9') => {
                digits(self);
            }
            _ => return Err(self.error("invalid number")),
        }
        if self.bytes.get(self.at) == Some(&b'.') {
            self.at += 1;
            if !digits(self) {
                return Err(self.error("invalid number"));
            }
        }
        let exponent = matches!(self.bytes.get(self.at), Some(b'e' | b'E'));
        if exponent {
            self.at += 1;
            if let Some(b'+' | b'-') = self.bytes.get(self.at) {
                self.at += 1;
            }
            if !digits(self) {
                return Err(self.error("invalid number"));
            }
        }
        let number = Number(self.text[start..self.at].to_owned());
        if (exponent || number.0.len() > 300) && !number.as_f64().is_finite() {
            return Err(self.error("number out of range"));
        }
        Ok(number)
    }
}

#[cfg(test)]
mod tests;
