//! Folding names for the directory search: one function every backend uses, so that a search
//! matches the same users whatever the store.
//!
//! [`fold`] lowercases and removes diacritics (Latin-1 Supplement and Latin Extended-A are
//! mapped by hand — `ç`→`c`, `ã`→`a`, `ß`→`ss`, `ł`→`l` — other letters are only lowercased),
//! and turns every run of characters that are neither letters nor digits into one space.
//! [`search_keys`] is what a backend indexes for a name: the folded name from the start of
//! each of its words, so that a query (folded the same way) matches "the start of any word"
//! as a plain prefix — "joao" and "joao silva" both find "Maria João Silva".

/// The folded form of one character, appended to `out`.
fn push_folded(c: char, out: &mut String) {
    let s: &str = match c {
        'À'..='Å' | 'à'..='å' | 'Ā' | 'ā' | 'Ă' | 'ă' | 'Ą' | 'ą' => "a",
        'Æ' | 'æ' => "ae",
        'Ç' | 'ç' | 'Ć' | 'ć' | 'Ĉ' | 'ĉ' | 'Ċ' | 'ċ' | 'Č' | 'č' => "c",
        'Ð' | 'ð' | 'Ď' | 'ď' | 'Đ' | 'đ' => "d",
        'È'..='Ë' | 'è'..='ë' | 'Ē' | 'ē' | 'Ĕ' | 'ĕ' | 'Ė' | 'ė' | 'Ę' | 'ę' | 'Ě' | 'ě' => {
            "e"
        }
        'Ĝ' | 'ĝ' | 'Ğ' | 'ğ' | 'Ġ' | 'ġ' | 'Ģ' | 'ģ' => "g",
        'Ĥ' | 'ĥ' | 'Ħ' | 'ħ' => "h",
        'Ì'..='Ï' | 'ì'..='ï' | 'Ĩ' | 'ĩ' | 'Ī' | 'ī' | 'Ĭ' | 'ĭ' | 'Į' | 'į' | 'İ' | 'ı' => {
            "i"
        }
        'Ĳ' | 'ĳ' => "ij",
        'Ĵ' | 'ĵ' => "j",
        'Ķ' | 'ķ' | 'ĸ' => "k",
        'Ĺ' | 'ĺ' | 'Ļ' | 'ļ' | 'Ľ' | 'ľ' | 'Ŀ' | 'ŀ' | 'Ł' | 'ł' => "l",
        'Ñ' | 'ñ' | 'Ń' | 'ń' | 'Ņ' | 'ņ' | 'Ň' | 'ň' | 'ŉ' | 'Ŋ' | 'ŋ' => "n",
        'Ò'..='Ö' | 'Ø' | 'ò'..='ö' | 'ø' | 'Ō' | 'ō' | 'Ŏ' | 'ŏ' | 'Ő' | 'ő' => "o",
        'Œ' | 'œ' => "oe",
        'Ŕ' | 'ŕ' | 'Ŗ' | 'ŗ' | 'Ř' | 'ř' => "r",
        'Ś' | 'ś' | 'Ŝ' | 'ŝ' | 'Ş' | 'ş' | 'Š' | 'š' | 'ſ' => "s",
        'ß' => "ss",
        'Ţ' | 'ţ' | 'Ť' | 'ť' | 'Ŧ' | 'ŧ' => "t",
        'Þ' | 'þ' => "th",
        'Ù'..='Ü'
        | 'ù'..='ü'
        | 'Ũ'
        | 'ũ'
        | 'Ū'
        | 'ū'
        | 'Ŭ'
        | 'ŭ'
        | 'Ů'
        | 'ů'
        | 'Ű'
        | 'ű'
        | 'Ų'
        | 'ų' => "u",
        'Ŵ' | 'ŵ' => "w",
        'Ý' | 'ý' | 'ÿ' | 'Ŷ' | 'ŷ' | 'Ÿ' => "y",
        'Ź' | 'ź' | 'Ż' | 'ż' | 'Ž' | 'ž' => "z",
        _ => {
            out.extend(c.to_lowercase());
            return;
        }
    };
    out.push_str(s);
}

/// `name` lowercased, without diacritics, its words separated by single spaces (anything that
/// is not a letter or a digit separates words): `"  Maria  JOÃO-Silva "` → `"maria joao silva"`.
pub fn fold(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut pending_space = false;
    for c in name.chars() {
        if c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            push_folded(c, &mut out);
        } else {
            pending_space = true;
        }
    }
    out
}

/// The keys a backend indexes for a name: the folded name from the start of each word.
/// A query `q` matches the name when `fold(q)` is a prefix of one of them.
/// `"Maria João Silva"` → `["maria joao silva", "joao silva", "silva"]`; no name, none.
pub fn search_keys(name: Option<&str>) -> Vec<String> {
    let folded = fold(name.unwrap_or_default());
    if folded.is_empty() {
        return Vec::new();
    }
    let mut keys = vec![folded.clone()];
    keys.extend(
        folded
            .match_indices(' ')
            .map(|(i, _)| folded[i + 1..].to_owned()),
    );
    keys.sort();
    keys.dedup();
    keys
}

/// The sort key of a directory entry: its folded name (`""` without a name, so unnamed users
/// sort first), ties broken by user id.
pub fn sort_key(name: Option<&str>) -> String {
    fold(name.unwrap_or_default())
}

/// The smallest string greater than every string that starts with `prefix` — the exclusive
/// upper bound of a prefix range scan on an index (`key >= prefix AND key < upper`). `None`
/// when there is none (a prefix of only `char::MAX`).
pub fn prefix_upper_bound(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let mut next = u32::from(last) + 1;
        if (0xD800..0xE000).contains(&next) {
            next = 0xE000;
        }
        if let Some(c) = char::from_u32(next) {
            chars.push(c);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_portuguese_names() {
        assert_eq!(fold("João"), "joao");
        assert_eq!(fold("JOÃO"), "joao");
        assert_eq!(fold("Conceição"), "conceicao");
        assert_eq!(fold("Ângela"), "angela");
        assert_eq!(fold("Íris"), "iris");
        assert_eq!(fold("  Maria  João-Silva "), "maria joao silva");
        assert_eq!(fold("Straße Łódź Œuvre"), "strasse lodz oeuvre");
        assert_eq!(fold("O'Brien"), "o brien");
        assert_eq!(fold("---"), "");
    }

    #[test]
    fn every_latin1_and_extended_a_letter_folds_to_ascii() {
        for c in ('\u{C0}'..='\u{17F}').filter(|c| c.is_alphabetic()) {
            let f = fold(&c.to_string());
            assert!(
                f.chars().all(|x| x.is_ascii_lowercase()),
                "{c} folds to {f}"
            );
        }
    }

    #[test]
    fn keys_start_at_every_word() {
        assert_eq!(
            search_keys(Some("Maria João Silva")),
            vec!["joao silva", "maria joao silva", "silva"]
        );
        assert!(search_keys(None).is_empty());
        assert!(search_keys(Some(" - ")).is_empty());
    }

    #[test]
    fn upper_bound_closes_the_prefix_range() {
        assert_eq!(prefix_upper_bound("joa").as_deref(), Some("job"));
        assert_eq!(
            prefix_upper_bound("joao silva").as_deref(),
            Some("joao silvb")
        );
        assert_eq!(prefix_upper_bound(""), None);
    }
}
