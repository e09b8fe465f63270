//! Prompt texts and menus, loaded from `prompts/<language>/*.toml`.
//!
//! Files hold `[prompts]` (id = text with `{placeholders}`), `[menus.<name>]` (the prompt
//! that offers it and its options: key, words that select it, where it goes) and
//! `[topics]` (display names). All files of a language form one namespace; an id defined
//! twice is an error, as is a menu whose prompt does not exist.

use crate::domain::tickets::DailyWindow;
use crate::speech::understand::MenuChoices;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PromptError {
    #[error("prompt files in {dir}: {message}")]
    Load { dir: String, message: String },
    #[error("unknown prompt {0:?}")]
    Unknown(String),
    #[error("prompt {id:?} needs a value for {{{name}}}")]
    MissingValue { id: String, name: String },
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MenuOption {
    pub key: char,
    pub goto: String,
    #[serde(default)]
    pub words: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Menu {
    pub prompt: String,
    pub options: Vec<MenuOption>,
    /// For a yes/no question: the keys that mean yes and no, so spoken answers are
    /// understood as yes or no ("genau", "lieber nicht") rather than by option words.
    #[serde(default)]
    pub yes: Option<char>,
    #[serde(default)]
    pub no: Option<char>,
}

impl Menu {
    pub fn option_for_key(&self, key: char) -> Option<&MenuOption> {
        self.options.iter().find(|o| o.key == key)
    }

    /// Whether this menu is a yes/no question.
    pub fn is_yes_no(&self) -> bool {
        self.yes.is_some() && self.no.is_some()
    }
}

impl MenuChoices for Menu {
    fn choices(&self) -> Vec<(char, &[String])> {
        self.options.iter().map(|o| (o.key, o.words.as_slice())).collect()
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PromptFile {
    #[serde(default)]
    prompts: BTreeMap<String, String>,
    #[serde(default)]
    menus: BTreeMap<String, Menu>,
    #[serde(default)]
    topics: BTreeMap<String, String>,
}

/// All prompts and menus of one language.
#[derive(Debug, Default, Clone)]
pub struct Prompts {
    texts: BTreeMap<String, String>,
    menus: BTreeMap<String, Menu>,
    topics: BTreeMap<String, String>,
}

impl Prompts {
    pub fn load(dir: &Path) -> Result<Prompts, PromptError> {
        let err = |message: String| PromptError::Load { dir: dir.display().to_string(), message };
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .map_err(|e| err(e.to_string()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(err("no .toml files".into()));
        }
        let mut all = Prompts::default();
        for path in files {
            let name = path.file_name().unwrap_or_default().to_string_lossy().to_string();
            let text = std::fs::read_to_string(&path).map_err(|e| err(format!("{name}: {e}")))?;
            let file: PromptFile = toml::from_str(&text).map_err(|e| err(format!("{name}: {e}")))?;
            for (id, text) in file.prompts {
                if all.texts.insert(id.clone(), text).is_some() {
                    return Err(err(format!("{name}: prompt {id:?} is defined twice")));
                }
            }
            for (id, menu) in file.menus {
                if all.menus.insert(id.clone(), menu).is_some() {
                    return Err(err(format!("{name}: menu {id:?} is defined twice")));
                }
            }
            all.topics.extend(file.topics);
        }
        all.check().map_err(err)?;
        Ok(all)
    }

    fn check(&self) -> Result<(), String> {
        for (id, text) in &self.texts {
            placeholders(text).map_err(|e| format!("prompt {id:?}: {e}"))?;
        }
        for (id, menu) in &self.menus {
            if !self.texts.contains_key(&menu.prompt) {
                return Err(format!("menu {id:?} uses prompt {:?}, which does not exist", menu.prompt));
            }
            if menu.yes.is_some() != menu.no.is_some() {
                return Err(format!("menu {id:?}: a yes/no question needs both yes and no keys"));
            }
            if let Some(k) = menu.yes.iter().chain(&menu.no).find(|k| menu.option_for_key(**k).is_none()) {
                return Err(format!("menu {id:?}: yes/no key {k} is not one of its options"));
            }
            let mut keys = BTreeSet::new();
            for o in &menu.options {
                if !o.key.is_ascii_digit() {
                    return Err(format!("menu {id:?}: key {:?} must be a digit (* and # are repeat and back)", o.key));
                }
                if !keys.insert(o.key) {
                    return Err(format!("menu {id:?}: key {} is used twice", o.key));
                }
                if let Some(target) = o.goto.strip_prefix("menu:")
                    && !self.menus.contains_key(target)
                {
                    return Err(format!("menu {id:?}: option {} goes to unknown menu {target:?}", o.key));
                }
                if let Some(topic) = o.goto.strip_prefix("topic:")
                    && !self.topics.contains_key(topic)
                {
                    return Err(format!("menu {id:?}: option {} names unknown topic {topic:?}", o.key));
                }
                if let Some(window) = o.goto.strip_prefix("window:") {
                    DailyWindow::parse(window).map_err(|e| format!("menu {id:?}: option {}: {e}", o.key))?;
                }
            }
        }
        Ok(())
    }

    pub fn text(&self, id: &str) -> Result<&str, PromptError> {
        self.texts.get(id).map(String::as_str).ok_or_else(|| PromptError::Unknown(id.to_string()))
    }

    pub fn menu(&self, id: &str) -> Result<&Menu, PromptError> {
        self.menus.get(id).ok_or_else(|| PromptError::Unknown(format!("menu {id}")))
    }

    pub fn menus(&self) -> impl Iterator<Item = (&str, &Menu)> {
        self.menus.iter().map(|(k, v)| (k.as_str(), v))
    }

    pub fn topic_label(&self, id: &str) -> Option<&str> {
        self.topics.get(id).map(String::as_str)
    }

    /// Every sentence without placeholders: what is pre-rendered into the audio cache.
    pub fn static_sentences(&self) -> impl Iterator<Item = &str> {
        self.texts.values().flat_map(|t| sentences(t)).filter(|s| !s.contains('{'))
    }

    pub fn is_static(&self, id: &str) -> bool {
        self.texts.get(id).is_some_and(|t| !t.contains('{'))
    }

    /// The text of `id` with its placeholders filled from `args`.
    pub fn render(&self, id: &str, args: &[(String, String)]) -> Result<String, PromptError> {
        fill(id, self.text(id)?, args)
    }

    /// The text of `id` as sentences, each with whether it is static (has no
    /// placeholder). Static sentences of a dynamic prompt can come from the audio cache,
    /// and the first sentence can play while later ones are synthesised.
    pub fn render_sentences(&self, id: &str, args: &[(String, String)]) -> Result<Vec<(String, bool)>, PromptError> {
        sentences(self.text(id)?).into_iter().map(|s| Ok((fill(id, s, args)?, !s.contains('{')))).collect()
    }
}

/// Splits after '.', '!' or '?' followed by a space (placeholders never contain one of
/// those followed by a space at the template level, so no value is split).
fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    for i in 0..bytes.len().saturating_sub(1) {
        if matches!(bytes[i], b'.' | b'!' | b'?') && bytes[i + 1] == b' ' {
            out.push(text[start..=i].trim());
            start = i + 1;
        }
    }
    let rest = text[start..].trim();
    if !rest.is_empty() {
        out.push(rest);
    }
    out
}

fn fill(id: &str, template: &str, args: &[(String, String)]) -> Result<String, PromptError> {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').map(|e| start + e).expect("checked at load");
        let name = &rest[start + 1..end];
        let value = args
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .ok_or_else(|| PromptError::MissingValue { id: id.to_string(), name: name.to_string() })?;
        out.push_str(value);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Names of the `{placeholders}` in a text; unbalanced braces are an error.
fn placeholders(text: &str) -> Result<Vec<&str>, String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(['{', '}']) {
        if rest.as_bytes()[start] == b'}' {
            return Err("'}' without '{'".into());
        }
        let end = rest[start..].find('}').ok_or("'{' without '}'")? + start;
        let name = &rest[start + 1..end];
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
            return Err(format!("bad placeholder {{{name}}}"));
        }
        names.push(name);
        rest = &rest[end + 1..];
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn german() -> Prompts {
        Prompts::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("prompts/de")).unwrap()
    }

    #[test]
    fn german_prompts_load_and_render() {
        let p = german();
        let args = vec![("name".to_string(), "Erika Mustermann".to_string())];
        assert!(p.render("greeting_known", &args).unwrap().contains("Erika Mustermann"));
        assert_eq!(p.render("greeting_known", &[]), Err(PromptError::MissingValue { id: "greeting_known".into(), name: "name".into() }));
        assert!(p.is_static("main_menu"));
        assert!(!p.is_static("confirm_number"));
        let parts = p.render_sentences("confirm_number", &[("number".into(), "eins zwo. drei".into())]).unwrap();
        // The answer starts with a cached sentence while the one with the number is synthesised.
        assert_eq!(parts[0], ("Vielen Dank.".to_string(), true));
        assert_eq!(parts[1], ("Wir rufen Sie unter dieser Nummer zurück: eins zwo. drei.".to_string(), false));
        assert_eq!(parts[2], ("Ist das richtig, drücken Sie die 1.".to_string(), true));
        assert_eq!(parts.len(), 4);
        assert!(p.static_sentences().any(|s| s == "Ist das richtig, drücken Sie die 1."));
    }

    #[test]
    fn menus_are_understood_as_they_are() {
        use crate::speech::understand::{Expectation, Understood, understand};
        let p = german();
        let today = chrono::NaiveDate::from_ymd_opt(2025, 12, 10).unwrap();
        let main = Expectation::Menu(p.menu("main").unwrap());
        assert_eq!(understand("Die Zwei, bitte.", &main, today), Some(Understood::Key('2')));
        assert_eq!(understand("Einen Rückruf", &main, today), Some(Understood::Key('3')));
        let topics = Expectation::Menu(p.menu("callback_topic").unwrap());
        assert_eq!(understand("Es geht um die Pflege meiner Mutter", &topics, today), Some(Understood::Key('1')));
        assert_eq!(understand("die Fünf", &topics, today), None);
    }

    #[test]
    fn broken_files_are_reported_with_their_name() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.toml"), "[prompts]\nx = \"Hallo {name\"\n").unwrap();
        let e = Prompts::load(dir.path()).unwrap_err().to_string();
        assert!(e.contains("x") && e.contains("without"), "{e}");
        std::fs::write(dir.path().join("a.toml"), "[prompts]\nx = \"Hallo\"\n[menus.m]\nprompt = \"y\"\noptions = []\n").unwrap();
        let e = Prompts::load(dir.path()).unwrap_err().to_string();
        assert!(e.contains("\"y\""), "{e}");
        std::fs::write(dir.path().join("a.toml"), "[prompts]\nx = \"Hallo\"\n").unwrap();
        std::fs::write(dir.path().join("b.toml"), "[prompts]\nx = \"Tschüss\"\n").unwrap();
        let e = Prompts::load(dir.path()).unwrap_err().to_string();
        assert!(e.contains("b.toml") && e.contains("twice"), "{e}");
    }
}
