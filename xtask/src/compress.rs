//! Precompressed copies of the built widget: beside each text or
//! WebAssembly file in `dist/`, `NAME.gz` (zopfli, gzip-compatible, 4–5 %
//! smaller than `gzip -9`) and `NAME.br` (brotli quality 11). The proxy
//! sends them as they are to browsers that accept them; compressing this
//! hard costs seconds, so it is done once here rather than per request.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The files worth compressing, by extension.
const COMPRESSIBLE: [&str; 6] = ["wasm", "js", "css", "html", "svg", "json"];

/// One file's sizes in bytes: as built, and its two compressed copies.
pub struct Sizes {
    pub file: PathBuf,
    pub raw: usize,
    pub gzip: usize,
    pub brotli: usize,
}

/// Writes `.gz` and `.br` beside every compressible file in `dir` (not in
/// subdirectories), replacing older copies; files are compressed in
/// parallel. A copy that would not be smaller is not written (and an
/// older one is removed), so the file itself is served.
pub fn precompress(dir: &Path) -> Result<Vec<Sizes>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.is_file())
        .filter(|path| path.extension().and_then(|e| e.to_str()).is_some_and(|e| COMPRESSIBLE.contains(&e)))
        .collect();
    files.sort();
    std::thread::scope(|scope| {
        let jobs: Vec<_> = files.iter().map(|file| scope.spawn(move || compress_file(file))).collect();
        jobs.into_iter().map(|job| job.join().map_err(|_| "compression thread panicked".to_owned())?).collect()
    })
}

fn compress_file(file: &Path) -> Result<Sizes, String> {
    let fail = |e: std::io::Error| format!("{}: {e}", file.display());
    let bytes = std::fs::read(file).map_err(fail)?;
    let gzip = gzip(&bytes).map_err(fail)?;
    let brotli = brotli(&bytes).map_err(fail)?;
    for (extension, copy) in [("gz", &gzip), ("br", &brotli)] {
        let mut name = file.as_os_str().to_owned();
        name.push(".");
        name.push(extension);
        let path = PathBuf::from(name);
        if copy.len() < bytes.len() {
            std::fs::write(&path, copy).map_err(fail)?;
        } else if path.exists() {
            std::fs::remove_file(&path).map_err(fail)?;
        }
    }
    Ok(Sizes { file: file.to_path_buf(), raw: bytes.len(), gzip: gzip.len(), brotli: brotli.len() })
}

fn gzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len() / 2);
    zopfli::compress(zopfli::Options::default(), zopfli::Format::Gzip, bytes, &mut out)?;
    Ok(out)
}

fn brotli(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len() / 2);
    {
        // Quality 11 (the highest), a 16 MiB window (the largest browsers take).
        let mut writer = brotli::CompressorWriter::new(&mut out, 64 * 1024, 11, 24);
        writer.write_all(bytes)?;
        writer.flush()?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_decompress_to_the_file_and_small_files_keep_none() {
        let dir = std::env::temp_dir().join(format!("xtask-precompress-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let text: String = (0..2000).map(|i| format!("line {i} of a stylesheet {{ color: red }}\n")).collect();
        std::fs::write(dir.join("big.css"), &text).unwrap();
        std::fs::write(dir.join("tiny.js"), "x").unwrap();
        std::fs::write(dir.join("tiny.js.gz"), "stale").unwrap();
        std::fs::write(dir.join("photo.png"), &text).unwrap();

        let sizes = precompress(&dir).unwrap();
        let names: Vec<_> = sizes.iter().map(|s| s.file.file_name().unwrap().to_str().unwrap()).collect();
        assert_eq!(names, ["big.css", "tiny.js"]);
        assert!(sizes[0].gzip < text.len() / 10 && sizes[0].brotli < sizes[0].gzip, "{}", sizes[0].gzip);

        // What a browser gets back from each copy is the file itself.
        let gunzip = std::process::Command::new("gzip").arg("-dc").arg(dir.join("big.css.gz")).output().unwrap();
        assert!(gunzip.status.success());
        assert_eq!(gunzip.stdout, text.as_bytes());
        let br = std::fs::read(dir.join("big.css.br")).unwrap();
        let mut unbrotlied = Vec::new();
        brotli::BrotliDecompress(&mut br.as_slice(), &mut unbrotlied).unwrap();
        assert_eq!(unbrotlied, text.as_bytes());

        assert!(!dir.join("tiny.js.gz").exists() && !dir.join("tiny.js.br").exists());
        assert!(!dir.join("photo.png.gz").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
