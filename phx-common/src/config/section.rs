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
            /// A bit per key of `KEYS` met so far (`config::dup`).
            seen: u64,
            /// Keys not read, and keys met twice: boxed, and only there when
            /// there are some, so a section stays small (50,000 rules at
            /// 10,000 guests are moved about whole).
            unread: Option<Box<$crate::config::dup::Unread>>,
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
                let below = map.next_value_seed($crate::config::dup::SkipChecked)?;
                let quiet = Self::is_quiet(&key.0);
                self.unread
                    .get_or_insert_with(Default::default)
                    .skipped(key.0.into_owned(), quiet, below);
                Ok(())
            }

            /// Notes that known key `i` (`key`) was met: a duplicate the second time.
            /// A bit test per key read (400,000 in 50,000 rules): inlined.
            #[inline(always)]
            fn note(&mut self, i: usize, key: &str) {
                let bit = 1u64 << i;
                if self.seen & bit != 0 {
                    $crate::config::dup::Unread::add_duplicate(&mut self.unread, key);
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
                // The key's bit is noted once, after the match: in each arm
                // it grew the match past what the compiler inlines.
                let i = match key {
                    $($key => {
                        $crate::config::raw::read(map, &mut self.$field)?;
                        const { $crate::config::dup::key_index($name::KEYS, $key) }
                    })*
                    _ => {
                        $(return self.$sfield.read_key(key, map);)?
                        #[allow(unreachable_code)]
                        return Ok(false);
                    }
                };
                self.note(i, key);
                Ok(true)
            }
        }

        impl $crate::config::raw::Section for $name {
            fn known_keys() -> Vec<&'static str> {
                $name::known_keys()
            }
            fn take_unread(&mut self) -> Option<Box<$crate::config::dup::Unread>> {
                let own = self.unread.take();
                $(if let Some(shared) = $crate::config::raw::Section::take_unread(&mut self.$sfield) {
                    // The shared section's keys are read, or skipped, here.
                    let mut own = own.unwrap_or_default();
                    own.duplicates.extend(shared.duplicates);
                    return Some(own);
                })?
                own
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
