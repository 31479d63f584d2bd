//! Which rows are selected: the model behind row checkboxes, shift-click ranges, the header
//! checkbox and the bulk toolbar. Pure, so it is tested without a browser.

use std::collections::BTreeSet;

/// The header checkbox's state over the rows in view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TriState {
    Unchecked,
    Indeterminate,
    Checked,
}

/// The selected ids, and the row a shift-click extends from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    ids: BTreeSet<String>,
    anchor: Option<String>,
}

impl Selection {
    pub fn contains(&self, id: &str) -> bool {
        self.ids.contains(id)
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The selected ids, in a stable order.
    pub fn ids(&self) -> impl Iterator<Item = &String> {
        self.ids.iter()
    }

    /// A plain click on a row's checkbox: flips it, and it becomes the anchor.
    pub fn toggle(&mut self, id: &str) {
        if !self.ids.remove(id) {
            self.ids.insert(id.to_owned());
        }
        self.anchor = Some(id.to_owned());
    }

    /// A shift-click: every row in view from the anchor to `id` takes the state `id` is given
    /// (selected, unless it was already selected). Without an anchor in view, a plain toggle.
    pub fn extend_to(&mut self, id: &str, visible: &[String]) {
        let target = visible.iter().position(|v| v == id);
        let anchor = self.anchor.as_ref().and_then(|a| visible.iter().position(|v| v == a));
        let (Some(to), Some(from)) = (target, anchor) else {
            return self.toggle(id);
        };
        let select = !self.ids.contains(id);
        for row in &visible[from.min(to)..=from.max(to)] {
            if select {
                self.ids.insert(row.clone());
            } else {
                self.ids.remove(row);
            }
        }
        self.anchor = Some(id.to_owned());
    }

    /// The header checkbox over the rows in view.
    pub fn tri_state(&self, visible: &[String]) -> TriState {
        self.tri_state_of(visible.iter().map(String::as_str))
    }

    /// The header checkbox over the rows in view, given by id: the table reads them from its
    /// rows where they are, instead of copying every id on each change.
    pub fn tri_state_of<'a>(&self, visible: impl Iterator<Item = &'a str>) -> TriState {
        let (mut rows, mut selected) = (0, 0);
        for id in visible {
            rows += 1;
            selected += usize::from(self.ids.contains(id));
        }
        match selected {
            0 => TriState::Unchecked,
            n if n == rows => TriState::Checked,
            _ => TriState::Indeterminate,
        }
    }

    /// A click on the header checkbox: all rows in view selected, unless all already were.
    pub fn toggle_all(&mut self, visible: &[String]) {
        if self.tri_state(visible) == TriState::Checked {
            for v in visible {
                self.ids.remove(v);
            }
        } else {
            self.ids.extend(visible.iter().cloned());
        }
    }

    /// Keeps only rows still in view (after a filter, a search, or a delete).
    pub fn retain_visible(&mut self, visible: &[String]) {
        let keep: BTreeSet<&String> = visible.iter().collect();
        self.ids.retain(|id| keep.contains(id));
        if self.anchor.as_ref().is_some_and(|a| !keep.contains(a)) {
            self.anchor = None;
        }
    }

    /// Deselects these ids (rows an action succeeded on).
    pub fn remove_all<'a>(&mut self, ids: impl IntoIterator<Item = &'a String>) {
        for id in ids {
            self.ids.remove(id);
        }
    }

    pub fn clear(&mut self) {
        self.ids.clear();
        self.anchor = None;
    }
}

// Native only: proptest is not built for wasm.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rows(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("t{i}")).collect()
    }

    #[test]
    fn a_shift_click_selects_the_range_from_the_anchor_either_way() {
        let v = rows(10);
        let mut s = Selection::default();
        s.toggle("t2");
        s.extend_to("t5", &v);
        assert_eq!(s.ids().cloned().collect::<Vec<_>>(), ["t2", "t3", "t4", "t5"]);
        s.extend_to("t0", &v);
        assert_eq!(s.len(), 6, "from the new anchor t5 down to t0");
        assert!(s.contains("t0") && s.contains("t1"));
    }

    #[test]
    fn a_shift_click_on_a_selected_row_deselects_the_range() {
        let v = rows(6);
        let mut s = Selection::default();
        s.toggle_all(&v);
        s.toggle("t1");
        s.toggle("t1");
        s.extend_to("t4", &v);
        assert_eq!(s.ids().cloned().collect::<Vec<_>>(), ["t0", "t5"]);
    }

    #[test]
    fn the_header_checkbox_is_tri_state_over_the_rows_in_view() {
        let v = rows(3);
        let mut s = Selection::default();
        assert_eq!(s.tri_state(&v), TriState::Unchecked);
        s.toggle("t1");
        assert_eq!(s.tri_state(&v), TriState::Indeterminate);
        s.toggle_all(&v);
        assert_eq!(s.tri_state(&v), TriState::Checked);
        s.toggle_all(&v);
        assert_eq!(s.tri_state(&v), TriState::Unchecked);
        assert_eq!(s.tri_state(&[]), TriState::Unchecked);
    }

    #[test]
    fn toggling_all_leaves_rows_out_of_view_alone() {
        let mut s = Selection::default();
        s.toggle("hidden");
        let v = rows(2);
        s.toggle_all(&v);
        s.toggle_all(&v);
        assert_eq!(s.ids().cloned().collect::<Vec<_>>(), ["hidden"]);
    }

    #[test]
    fn rows_that_leave_the_view_leave_the_selection() {
        let mut s = Selection::default();
        s.toggle_all(&rows(5));
        s.retain_visible(&["t1".to_owned(), "t3".to_owned(), "new".to_owned()]);
        assert_eq!(s.ids().cloned().collect::<Vec<_>>(), ["t1", "t3"]);
    }

    #[test]
    fn without_an_anchor_in_view_a_shift_click_is_a_click() {
        let mut s = Selection::default();
        s.extend_to("t2", &rows(4));
        assert_eq!(s.ids().cloned().collect::<Vec<_>>(), ["t2"]);
    }

    proptest! {
        #[test]
        fn the_selection_only_ever_holds_rows_it_was_given(ops in proptest::collection::vec((0u8..4, 0usize..12), 0..40)) {
            let v = rows(12);
            let mut s = Selection::default();
            for (op, i) in ops {
                match op {
                    0 => s.toggle(&v[i]),
                    1 => s.extend_to(&v[i], &v),
                    2 => s.toggle_all(&v[..i]),
                    _ => s.retain_visible(&v[i..]),
                }
                prop_assert!(s.ids().all(|id| v.contains(id)));
                let state = s.tri_state(&v);
                prop_assert_eq!(state == TriState::Checked, s.len() == v.len());
                prop_assert_eq!(state == TriState::Unchecked, s.is_empty());
            }
        }
    }
}
