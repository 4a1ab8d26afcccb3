//! Chinese, Japanese and Korean text (process names, output) with a font
//! of the system, found in the usual font folders when the first such
//! character is drawn: Noto Sans CJK, Source Han Sans, WenQuanYi, Droid
//! Sans Fallback, ... No font is bundled (one is 5 to 20 MB); without one
//! installed, such characters are drawn as boxes, as before. The file is
//! read once, when first needed, and only then.

use egui::epaint::text::{FallbackRequest, FontInsert, FontPriority, FontProvider, InsertFontFamily};
use egui::{FontData, FontFamily};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// File names of CJK fonts, best first (lower case, without separators).
const PREFERRED: [&str; 12] = [
    "notosanscjkregular",
    "notosanscjksc",
    "notosanscjk",
    "sourcehansans",
    "wqymicrohei",
    "wqyzenhei",
    "droidsansfallbackfull",
    "droidsansfallback",
    "notoserifcjk",
    "sourcehanserif",
    "uming",
    "ukai",
];

/// How deep the folders are searched (`/usr/share/fonts/opentype/noto/x.ttc` is 2).
const MAX_DEPTH: usize = 5;

/// The folders fontconfig reads by default on Linux.
pub fn font_dirs() -> Vec<PathBuf> {
    let mut dirs = vec![
        PathBuf::from("/usr/share/fonts"),
        PathBuf::from("/usr/local/share/fonts"),
    ];
    let home = std::env::var_os("HOME").map(PathBuf::from);
    match std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        Some(d) => dirs.push(PathBuf::from(d).join("fonts")),
        None => dirs.extend(home.as_ref().map(|h| h.join(".local/share/fonts"))),
    }
    dirs.extend(home.map(|h| h.join(".fonts")));
    dirs
}

/// The rank of a font file by its name (lower is better); `None` if it is
/// not a CJK font or not a font file.
fn rank(path: &Path) -> Option<usize> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    if !matches!(ext.as_str(), "ttf" | "otf" | "ttc" | "otc") {
        return None;
    }
    let name: String = path
        .file_stem()?
        .to_str()?
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    // Bold and light faces only when nothing regular is there.
    let heavy = ["bold", "black", "light", "thin", "medium", "heavy"]
        .iter()
        .any(|w| name.contains(w));
    let i = PREFERRED.iter().position(|p| name.contains(p))?;
    Some(i + if heavy { PREFERRED.len() } else { 0 })
}

/// The best CJK font file under `dirs`, if any.
pub fn find_font(dirs: &[PathBuf]) -> Option<PathBuf> {
    let mut best: Option<(usize, PathBuf)> = None;
    let mut stack: Vec<(PathBuf, usize)> = dirs.iter().map(|d| (d.clone(), 0)).collect();
    while let Some((dir, depth)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            // Links are followed (fonts are often linked into place).
            let Ok(meta) = std::fs::metadata(&path) else {
                continue;
            };
            if meta.is_dir() {
                if depth < MAX_DEPTH {
                    stack.push((path, depth + 1));
                }
            } else if let Some(r) = rank(&path) {
                if best.as_ref().is_none_or(|(b, p)| (r, &path) < (*b, p)) {
                    best = Some((r, path));
                }
            }
        }
    }
    best.map(|(_, p)| p)
}

/// Han, kana, Hangul, their punctuation and full-width forms.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x11ff
        | 0x2e80..=0x2fdf
        | 0x3000..=0x30ff
        | 0x3100..=0x31ff
        | 0x3200..=0x4dbf
        | 0x4e00..=0x9fff
        | 0xa960..=0xa97f
        | 0xac00..=0xd7ff
        | 0xf900..=0xfaff
        | 0xfe30..=0xfe4f
        | 0xff00..=0xffef
        | 0x20000..=0x3134f)
}

/// A font provider that answers CJK characters with the font `find_font`
/// finds in its folders.
pub struct CjkFallback {
    dirs: Vec<PathBuf>,
    font: OnceLock<Option<(String, FontData)>>,
}

impl CjkFallback {
    pub fn new(dirs: Vec<PathBuf>) -> Self {
        Self {
            dirs,
            font: OnceLock::new(),
        }
    }

    /// The font's name and data, read on first use.
    pub fn font(&self) -> Option<&(String, FontData)> {
        self.font
            .get_or_init(|| {
                let path = find_font(&self.dirs)?;
                let bytes = std::fs::read(&path).ok()?;
                let name = format!("cjk-fallback:{}", path.display());
                Some((name, FontData::from_owned(bytes)))
            })
            .as_ref()
    }
}

impl FontProvider for CjkFallback {
    fn font_for(&self, request: &FallbackRequest<'_>) -> Option<FontInsert> {
        if !request.cluster.chars().next().is_some_and(is_cjk) {
            return None;
        }
        let (name, data) = self.font()?;
        let families = [FontFamily::Proportional, FontFamily::Monospace]
            .into_iter()
            .map(|family| InsertFontFamily {
                family,
                priority: FontPriority::Lowest,
            })
            .collect();
        Some(FontInsert::new(name, data.clone(), families))
    }
}

/// Lets `ctx` draw CJK text with a system font, when one is installed.
pub fn install(ctx: &egui::Context) {
    ctx.add_font_provider(std::sync::Arc::new(CjkFallback::new(font_dirs())));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_best_cjk_font_of_a_folder_is_found_and_answers_cjk_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        let noto = dir.path().join("opentype/noto");
        std::fs::create_dir_all(&noto).expect("mkdir");
        std::fs::create_dir_all(dir.path().join("truetype/wqy")).expect("mkdir");
        for (p, bytes) in [
            ("truetype/DejaVuSans.ttf", 10),
            ("truetype/wqy/wqy-microhei.ttc", 20),
            ("opentype/noto/NotoSansCJK-Bold.ttc", 30),
            ("opentype/noto/NotoSansCJK-Regular.ttc", 40),
            ("opentype/noto/README", 5),
        ] {
            let path = dir.path().join(p);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(&path, vec![0u8; bytes]).expect("write");
        }
        let dirs = vec![dir.path().to_path_buf()];
        assert_eq!(find_font(&dirs), Some(noto.join("NotoSansCJK-Regular.ttc")));
        let p = CjkFallback::new(dirs);
        let ask = |c: &str| {
            p.font_for(&FallbackRequest {
                cluster: c,
                family: &FontFamily::Proportional,
            })
        };
        let got = ask("\u{6f22}").expect("a font for 漢");
        assert!(got.name.ends_with("NotoSansCJK-Regular.ttc"), "{}", got.name);
        assert_eq!((*got.data.font).as_ref().len(), 40, "the file's bytes");
        assert!(ask("\u{d55c}").is_some(), "Hangul");
        assert!(ask("\u{3042}").is_some(), "Hiragana");
        assert!(ask("\u{0259}").is_none(), "not CJK: left to other fonts");

        // Only a fallback font among others: WenQuanYi; none at all: none.
        std::fs::remove_dir_all(&noto).expect("rm");
        assert!(find_font(&[dir.path().to_path_buf()]).is_some_and(|f| f.ends_with("wqy-microhei.ttc")));
        let empty = tempfile::tempdir().expect("tempdir");
        assert_eq!(
            find_font(&[empty.path().to_path_buf(), PathBuf::from("/nonexistent")]),
            None
        );
        assert!(CjkFallback::new(vec![empty.path().to_path_buf()])
            .font()
            .is_none());
    }

    #[test]
    fn cjk_ranges() {
        for c in [
            '\u{6f22}', '\u{5b57}', '\u{3042}', '\u{30ab}', '\u{d55c}', '\u{ff01}', '\u{3002}',
        ] {
            assert!(is_cjk(c), "{c}");
        }
        for c in ['a', '\u{e9}', '\u{0259}', '\u{2014}', '\u{1f600}'] {
            assert!(!is_cjk(c), "{c}");
        }
    }
}
