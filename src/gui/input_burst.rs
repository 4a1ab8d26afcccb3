//! A burst of typed characters as one text event. A text field lays its
//! text out again for every event of a frame, and egui keeps each of those
//! layouts until the frame ends: 5,000 characters arriving in one frame (a
//! key-repeat macro, a barcode scanner, `xdotool type`) made 12.5 million
//! glyphs, 2.3 GB. Characters typed one after another, with only the key
//! presses that typed them between them, go in as one text event instead;
//! any other key (Backspace, an arrow, a shortcut) keeps its place.

use egui::{Event, Key};

/// A key press or release that only types its character (the character
/// comes as its own text event).
fn only_types(e: &Event) -> bool {
    let Event::Key { key, modifiers, .. } = e else {
        return false;
    };
    let plain = !(modifiers.ctrl || modifiers.alt || modifiers.command || modifiers.mac_cmd);
    let arrow = matches!(
        key,
        Key::ArrowDown | Key::ArrowLeft | Key::ArrowRight | Key::ArrowUp
    );
    plain && !arrow && (*key == Key::Space || key.symbol_or_name().chars().count() == 1)
}

/// Merges each run of text events separated only by the key events that
/// typed them into its first text event.
pub fn coalesce_typing(events: &mut Vec<Event>) {
    let mut out: Vec<Event> = Vec::with_capacity(events.len());
    // Where in `out` the text event of the current run is.
    let mut run: Option<usize> = None;
    for e in events.drain(..) {
        match e {
            Event::Text(t) => match run.and_then(|i| out.get_mut(i)) {
                Some(Event::Text(first)) => first.push_str(&t),
                _ => {
                    run = Some(out.len());
                    out.push(Event::Text(t));
                }
            },
            e => {
                if !only_types(&e) {
                    run = None;
                }
                out.push(e);
            }
        }
    }
    *events = out;
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui::Modifiers;

    fn key(key: Key, pressed: bool, modifiers: Modifiers) -> Event {
        Event::Key {
            key,
            physical_key: None,
            pressed,
            repeat: false,
            modifiers,
        }
    }

    fn typed(c: char, k: Key) -> Vec<Event> {
        vec![
            key(k, true, Modifiers::NONE),
            Event::Text(c.to_string()),
            key(k, false, Modifiers::NONE),
        ]
    }

    #[test]
    fn a_burst_of_typing_is_one_text_event() {
        let mut events: Vec<Event> = "nine9"
            .chars()
            .zip([Key::N, Key::I, Key::N, Key::E, Key::Num9])
            .flat_map(|(c, k)| typed(c, k))
            .collect();
        coalesce_typing(&mut events);
        let texts: Vec<&str> = events
            .iter()
            .filter_map(|e| {
                if let Event::Text(t) = e {
                    Some(t.as_str())
                } else {
                    None
                }
            })
            .collect();
        assert_eq!(texts, ["nine9"]);
        // The key events stay (nothing that reads them changes).
        assert_eq!(events.len(), 11);
    }

    #[test]
    fn any_other_key_keeps_its_place_between_the_texts() {
        let mut events = typed('a', Key::A);
        events.extend(typed('b', Key::B));
        events.push(key(Key::Backspace, true, Modifiers::NONE));
        events.extend(typed('c', Key::C));
        events.push(key(Key::Z, true, Modifiers::COMMAND));
        events.extend(typed('d', Key::D));
        events.push(key(Key::ArrowLeft, true, Modifiers::NONE));
        events.extend(typed('e', Key::E));
        coalesce_typing(&mut events);
        let order: Vec<String> = events
            .iter()
            .filter_map(|e| match e {
                Event::Text(t) => Some(t.clone()),
                Event::Key {
                    key, pressed: true, ..
                } if !only_types(e) => Some(format!("<{key:?}>")),
                _ => None,
            })
            .collect();
        assert_eq!(order, ["ab", "<Backspace>", "c", "<Z>", "d", "<ArrowLeft>", "e"]);
    }
}
