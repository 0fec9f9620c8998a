//! Short import names for the release build.
//!
//! wasm-bindgen names each function the WebAssembly imports from its glue
//! `__wbg_<method>_<16 hex digits>`, and writes every name twice: in the
//! module's import section and as a key of the glue's import object. The
//! hashes do not compress; 189 of them cost ~5 KB of the gzip first load.
//! This renames each such import to a short name (`a`, `b`, … `aa`, …) in
//! both files. The WebAssembly changes in its import section only (imports
//! are bound by index, so no code moves); the glue changes in the keys
//! only. A name that does not occur exactly once in the glue stops the
//! build rather than risk a module that cannot link.

use std::path::Path;

/// Renames the imports `wasm` takes from `module` (the glue, as
/// wasm-bindgen names it: `./widget_bg.js`) in `wasm` and in the glue
/// `js`; returns how many were renamed.
pub fn shorten(wasm: &Path, js: &Path, module: &str) -> Result<usize, String> {
    let fail = |path: &Path, e: std::io::Error| format!("{}: {e}", path.display());
    let binary = std::fs::read(wasm).map_err(|e| fail(wasm, e))?;
    let glue = std::fs::read_to_string(js).map_err(|e| fail(js, e))?;
    let (binary, renamed) = rename_imports(&binary, module).map_err(|e| format!("{}: {e}", wasm.display()))?;
    let glue = rename_keys(&glue, &renamed).map_err(|e| format!("{}: {e}", js.display()))?;
    std::fs::write(wasm, binary).map_err(|e| fail(wasm, e))?;
    std::fs::write(js, glue).map_err(|e| fail(js, e))?;
    Ok(renamed.len())
}

/// The `n`th short name: `a`…`z`, `A`…`Z`, `aa`, `ab`, …
fn short_name(mut n: usize) -> String {
    const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut name = Vec::new();
    loop {
        name.push(LETTERS[n % LETTERS.len()]);
        n /= LETTERS.len();
        if n == 0 {
            break;
        }
        n -= 1;
    }
    name.reverse();
    String::from_utf8(name).expect("ASCII letters")
}

/// Old and new names, in import order.
type Renamed = Vec<(String, String)>;

/// The module with the imports from `module` renamed, and their names.
fn rename_imports(binary: &[u8], module: &str) -> Result<(Vec<u8>, Renamed), String> {
    if binary.len() < 8 || &binary[..4] != b"\0asm" {
        return Err("not a WebAssembly module".into());
    }
    let mut out = binary[..8].to_vec();
    let mut renamed = Vec::new();
    let mut at = 8;
    while at < binary.len() {
        let id = binary[at];
        let mut reader = Reader { bytes: binary, at: at + 1 };
        let size = reader.u32()? as usize;
        let start = reader.at;
        let end = start.checked_add(size).filter(|&end| end <= binary.len()).ok_or("section past the end")?;
        if id == 2 {
            let section = imports(&binary[start..end], module, &mut renamed)?;
            out.push(2);
            write_u32(&mut out, section.len() as u32);
            out.extend_from_slice(&section);
        } else {
            out.extend_from_slice(&binary[at..end]);
        }
        at = end;
    }
    Ok((out, renamed))
}

/// An import section with the names from `module` shortened.
fn imports(section: &[u8], module: &str, renamed: &mut Renamed) -> Result<Vec<u8>, String> {
    let mut reader = Reader { bytes: section, at: 0 };
    let count = reader.u32()?;
    let mut out = Vec::with_capacity(section.len());
    write_u32(&mut out, count);
    for _ in 0..count {
        let from = reader.name()?;
        let name = reader.name()?;
        let description = reader.import_description()?;
        let name = if from == module.as_bytes() {
            let old = String::from_utf8(name.to_vec()).map_err(|_| "an import name that is not UTF-8")?;
            let new = short_name(renamed.len());
            renamed.push((old, new.clone()));
            new.into_bytes()
        } else {
            name.to_vec()
        };
        write_u32(&mut out, from.len() as u32);
        out.extend_from_slice(from);
        write_u32(&mut out, name.len() as u32);
        out.extend_from_slice(&name);
        out.extend_from_slice(description);
    }
    if reader.at != section.len() {
        return Err("bytes after the last import".into());
    }
    Ok(out)
}

/// The glue with each old name, which must occur exactly once as a whole
/// identifier (the import object's key), replaced by the new one.
fn rename_keys(glue: &str, renamed: &[(String, String)]) -> Result<String, String> {
    let is_identifier = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$';
    let mut places = Vec::with_capacity(renamed.len());
    for (old, new) in renamed {
        let found: Vec<usize> = glue
            .match_indices(old.as_str())
            .map(|(at, _)| at)
            .filter(|&at| {
                let before = glue[..at].chars().next_back();
                let after = glue[at + old.len()..].chars().next();
                !before.is_some_and(is_identifier) && !after.is_some_and(is_identifier)
            })
            .collect();
        match found[..] {
            [at] => places.push((at, old.len(), new)),
            _ => return Err(format!("`{old}` occurs {} times, not once", found.len())),
        }
    }
    places.sort_unstable();
    let mut out = String::with_capacity(glue.len());
    let mut copied = 0;
    for (at, len, new) in places {
        out.push_str(&glue[copied..at]);
        out.push_str(new);
        copied = at + len;
    }
    out.push_str(&glue[copied..]);
    Ok(out)
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Result<u8, String> {
        let byte = *self.bytes.get(self.at).ok_or("unexpected end")?;
        self.at += 1;
        Ok(byte)
    }

    /// An unsigned LEB128 number of at most 32 bits.
    fn u32(&mut self) -> Result<u32, String> {
        let mut value = 0u64;
        for shift in (0..35).step_by(7) {
            let byte = self.byte()?;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return u32::try_from(value).map_err(|_| "a number over 32 bits".into());
            }
        }
        Err("a number over 32 bits".into())
    }

    fn name(&mut self) -> Result<&'a [u8], String> {
        let len = self.u32()? as usize;
        let end = self.at.checked_add(len).filter(|&end| end <= self.bytes.len()).ok_or("a name past the end")?;
        let name = &self.bytes[self.at..end];
        self.at = end;
        Ok(name)
    }

    /// What is imported (a function, table, memory, global or tag), as is.
    fn import_description(&mut self) -> Result<&'a [u8], String> {
        let start = self.at;
        match self.byte()? {
            0x00 => {
                self.u32()?;
            }
            0x01 => {
                self.byte()?;
                self.limits()?;
            }
            0x02 => self.limits()?,
            0x03 => {
                self.byte()?;
                self.byte()?;
            }
            0x04 => {
                self.byte()?;
                self.u32()?;
            }
            kind => return Err(format!("an import of unknown kind {kind:#x}")),
        }
        Ok(&self.bytes[start..self.at])
    }

    fn limits(&mut self) -> Result<(), String> {
        let flags = self.byte()?;
        self.u32()?;
        if flags & 1 == 1 {
            self.u32()?;
        }
        Ok(())
    }
}

fn write_u32(out: &mut Vec<u8>, mut value: u32) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A module importing `imports` (module, name) functions of type 0,
    /// then a memory, with a type and a code-free export section around.
    fn module(imports: &[(&str, &str)]) -> Vec<u8> {
        let mut binary = b"\0asm\x01\0\0\0".to_vec();
        binary.extend_from_slice(&[1, 4, 1, 0x60, 0, 0]); // type section: () -> ()
        let mut section = Vec::new();
        write_u32(&mut section, imports.len() as u32 + 1);
        for (from, name) in imports {
            for text in [from, name] {
                write_u32(&mut section, text.len() as u32);
                section.extend_from_slice(text.as_bytes());
            }
            section.extend_from_slice(&[0x00, 0x00]);
        }
        section.extend_from_slice(&[3, b'e', b'n', b'v', 3, b'm', b'e', b'm', 0x02, 0x01, 0x01, 0x80, 0x02]);
        binary.push(2);
        write_u32(&mut binary, section.len() as u32);
        binary.extend_from_slice(&section);
        binary.extend_from_slice(&[0, 5, 4, b'n', b'o', b't', b'e']); // a custom section
        binary
    }

    #[test]
    fn short_names_are_distinct_identifiers() {
        let names: Vec<String> = (0..3000).map(short_name).collect();
        assert_eq!(
            (&names[0][..], &names[25][..], &names[51][..], &names[52][..], &names[53][..]),
            ("a", "z", "Z", "aa", "ab")
        );
        let distinct: std::collections::HashSet<_> = names.iter().collect();
        assert_eq!(distinct.len(), names.len());
        assert!(names.iter().all(|n| n.chars().all(|c| c.is_ascii_alphabetic())));
    }

    #[test]
    fn imports_from_the_glue_are_renamed_in_both_files_and_nothing_else_moves() {
        let long = "__wbg_createElement_0123456789abcdef";
        let other = "__wbg_new_fedcba9876543210";
        let binary = module(&[("./widget_bg.js", long), ("env", "keep_me"), ("./widget_bg.js", other)]);
        let (renamed_binary, renamed) = rename_imports(&binary, "./widget_bg.js").unwrap();
        assert_eq!(renamed, [(long.to_owned(), "a".to_owned()), (other.to_owned(), "b".to_owned())]);
        assert_eq!(renamed_binary, module(&[("./widget_bg.js", "a"), ("env", "keep_me"), ("./widget_bg.js", "b")]));

        let glue = format!("const i={{{long}:function(e){{}},{other}:()=>1}};x.{long}x=1;\"{other}_2\";");
        let renamed_glue = rename_keys(&glue, &renamed).unwrap();
        assert_eq!(renamed_glue, format!("const i={{a:function(e){{}},b:()=>1}};x.{long}x=1;\"{other}_2\";"));
    }

    #[test]
    fn a_name_not_exactly_once_in_the_glue_stops_the_build() {
        let renamed = [("__wbg_x_0123456789abcdef".to_owned(), "a".to_owned())];
        let twice = rename_keys("{__wbg_x_0123456789abcdef:f};g.__wbg_x_0123456789abcdef()", &renamed);
        assert_eq!(twice.unwrap_err(), "`__wbg_x_0123456789abcdef` occurs 2 times, not once");
        assert!(rename_keys("{other:f}", &renamed).unwrap_err().contains("0 times"));
        assert!(rename_imports(b"not wasm", "m").is_err());
        let mut truncated = module(&[("m", "f")]);
        truncated.truncate(20);
        assert!(rename_imports(&truncated, "m").is_err());
    }
}
