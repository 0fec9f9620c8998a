//! The interface's words, in one place. English is built in; a language is
//! added by writing another [`Strings`] and naming it in [`strings`].
//! (Messages explaining API errors and refused files come from the protocol
//! crate and the pure modules, in English.)

/// Every label, placeholder and note the components show.
#[derive(Debug)]
pub struct Strings {
    pub title: &'static str,
    pub open_chat: &'static str,
    pub close_chat: &'static str,
    pub drop_here: &'static str,
    pub placeholder: &'static str,
}

/// English, the default.
pub static EN: Strings = Strings {
    title: "Vision chat",
    open_chat: "Ask about a chart",
    close_chat: "Close the chat",
    drop_here: "Drop the image to attach it",
    placeholder: "Ask about a chart… (drop, paste or attach an image)",
};

/// The languages built in, by primary language subtag.
static LANGUAGES: &[(&str, &Strings)] = &[("en", &EN)];

/// The strings for a BCP 47 language tag (`en`, `en-GB`…), English when the
/// language has none of its own.
pub fn strings(lang: &str) -> &'static Strings {
    let primary = lang.split(['-', '_']).next().unwrap_or_default();
    LANGUAGES.iter().find(|(tag, _)| tag.eq_ignore_ascii_case(primary)).map_or(&EN, |(_, s)| s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_languages_fall_back_to_english() {
        assert!(std::ptr::eq(strings("en-GB"), &EN));
        assert!(std::ptr::eq(strings("xx"), &EN));
        assert!(std::ptr::eq(strings(""), &EN));
    }
}
