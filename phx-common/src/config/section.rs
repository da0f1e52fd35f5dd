//! `section!`: how a section of the documents is declared. What it
//! expands to reads through `config::raw` (`Key`, `read`, `skip`,
//! `Section`, `FromMap`).

/// Declares a section: its known keys as `Option` fields (absent or `null`:
/// `None`), optionally a `shared` section whose keys it also takes (the keys
/// LXC and VM entries have in common), the keys it skips quietly, and
/// `unknown` for the rest.
///
/// ```ignore
/// section! {
///     pub struct RawDnsRecord {
///         "hostname" => hostname: Scalar,
///         "ip" => ip: Scalar,
///     }
///     quiet: ["comment"]
/// }
/// ```
#[macro_export]
#[doc(hidden)]
macro_rules! section {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $($key:literal => $field:ident : $ty:ty),* $(,)?
        }
        $(shared: $sfield:ident : $sty:ty,)?
        $(quiet: [$($quiet:literal),* $(,)?])?
    ) => {
        $(#[$meta])*
        #[derive(Debug, Default)]
        $vis struct $name {
            $(pub $field: Option<$ty>,)*
            $(pub $sfield: $sty,)?
            /// Keys this section does not know, for the warning.
            pub unknown: Vec<String>,
            /// A bit per key of `KEYS` met so far (`config::dup`).
            seen: u64,
            /// The keys read past unread (quiet or unknown) so far.
            skipped: Vec<String>,
            /// Keys met twice in this object, or in a value skipped unread.
            pub duplicates: Vec<$crate::config::dup::Duplicate>,
        }

        // One bit per known key in `seen`.
        const _: () = assert!($name::KEYS.len() <= 64, "a section of more than 64 keys");

        impl $name {
            /// The keys Phoenix reads here.
            pub const KEYS: &'static [&'static str] = &[$($key),*];
            /// Keys the original system's files carry that Phoenix does not use.
            pub const QUIET: &'static [&'static str] = &[$($($quiet),*)?];

            /// Every key Phoenix reads here, shared ones included (for "did you mean …?").
            #[allow(dead_code)]
            pub fn known_keys() -> Vec<&'static str> {
                #[allow(unused_mut)]
                let mut keys = Self::KEYS.to_vec();
                $(keys.extend(<$sty>::known_keys());)?
                keys
            }

            #[allow(dead_code)]
            pub fn is_quiet(key: &str) -> bool {
                Self::QUIET.contains(&key) $(|| <$sty>::is_quiet(key))?
            }

            /// Reads `key`'s value into its field, or skips it: quietly
            /// for a key the original's files carry, noted in `unknown`
            /// for any other.
            pub fn take_key<'de, A: serde::de::MapAccess<'de>>(
                &mut self,
                key: $crate::config::raw::Key<'de>,
                map: &mut A,
            ) -> Result<(), A::Error> {
                if self.read_key(&key.0, map)? {
                    return Ok(());
                }
                use $crate::config::dup::{Duplicate, SkipChecked, Step};
                let below = map.next_value_seed(SkipChecked)?;
                let at = || Step::Key(key.0.to_string());
                self.duplicates.extend(below.into_iter().map(|d| d.under(at())));
                if self.skipped.iter().any(|k| *k == key.0) {
                    self.duplicates.push(Duplicate::key(&key.0));
                    return Ok(());
                }
                self.skipped.push(key.0.to_string());
                if !Self::is_quiet(&key.0) {
                    self.unknown.push(key.0.into_owned());
                }
                Ok(())
            }

            /// Notes that known key `i` (`key`) was met: a duplicate the second time.
            fn note(&mut self, i: usize, key: &str) {
                let bit = 1u64 << i;
                if self.seen & bit != 0 {
                    self.duplicates.push($crate::config::dup::Duplicate::key(key));
                }
                self.seen |= bit;
            }

            /// `note` for a key read by a reader of its own (`config::stream`).
            #[allow(dead_code)]
            pub fn note_key(&mut self, key: &str) {
                if let Some(i) = Self::KEYS.iter().position(|k| *k == key) {
                    self.note(i, key);
                }
            }

            /// Reads `key`'s value into its field; `false` when the key is not this section's.
            pub fn read_key<'de, A: serde::de::MapAccess<'de>>(
                &mut self,
                key: &str,
                map: &mut A,
            ) -> Result<bool, A::Error> {
                match key {
                    $($key => {
                        self.note(const { $crate::config::dup::key_index($name::KEYS, $key) }, $key);
                        $crate::config::raw::read(map, &mut self.$field)?
                    })*
                    _ => {
                        $(return self.$sfield.read_key(key, map);)?
                        #[allow(unreachable_code)]
                        return Ok(false);
                    }
                }
                Ok(true)
            }
        }

        impl $crate::config::raw::Section for $name {
            fn known_keys() -> Vec<&'static str> {
                $name::known_keys()
            }
            fn take_unknown(&mut self) -> Vec<String> {
                std::mem::take(&mut self.unknown)
            }
            fn take_duplicates(&mut self) -> Vec<$crate::config::dup::Duplicate> {
                #[allow(unused_mut)]
                let mut d = std::mem::take(&mut self.duplicates);
                $(d.extend($crate::config::raw::Section::take_duplicates(&mut self.$sfield));)?
                d
            }
        }

        impl<'de> $crate::config::raw::FromMap<'de> for $name {
            fn from_map<A: serde::de::MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
                let mut s = Self::default();
                while let Some(k) = map.next_key::<$crate::config::raw::Key>()? {
                    s.take_key(k, &mut map)?;
                }
                Ok(s)
            }
        }
    };
}
