//! The `guest_json` edit: values set at JSON pointers and array elements
//! upserted by matching fields, everything else kept. Pure functions.

use phx_plan::{GuestJsonStep, JsonUpsert};
use serde_json::{Map, Value};

/// RFC 6901 tokens of a pointer (`""` is the whole document).
fn tokens(pointer: &str) -> Result<Vec<String>, String> {
    if pointer.is_empty() {
        return Ok(Vec::new());
    }
    let rest = pointer
        .strip_prefix('/')
        .ok_or_else(|| format!("JSON pointer {pointer:?} must start with '/'"))?;
    Ok(rest
        .split('/')
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect())
}

/// The value at `pointer`, creating empty objects on the way.
fn slot<'a>(doc: &'a mut Value, pointer: &str) -> Result<&'a mut Value, String> {
    let mut cur = doc;
    for t in tokens(pointer)? {
        let Value::Object(map) = cur else {
            return Err(format!("{pointer}: a parent of {t:?} is not an object"));
        };
        cur = map.entry(t).or_insert_with(|| Value::Object(Map::new()));
    }
    Ok(cur)
}

fn matches(elem: &Value, matching: &Map<String, Value>) -> bool {
    matching.iter().all(|(k, v)| elem.get(k) == Some(v))
}

/// Index of the element an upsert addresses in `doc`, if it exists.
pub fn find(doc: &Value, u: &JsonUpsert) -> Option<usize> {
    doc.pointer(&u.array)?
        .as_array()?
        .iter()
        .position(|e| matches(e, &u.matching))
}

fn upsert(doc: &mut Value, u: &JsonUpsert) -> Result<(), String> {
    let arr = slot(doc, &u.array)?;
    if arr.as_object().is_some_and(Map::is_empty) {
        *arr = Value::Array(Vec::new());
    }
    let Value::Array(items) = arr else {
        return Err(format!("{} is not an array", u.array));
    };
    match items.iter_mut().find(|e| matches(e, &u.matching)) {
        Some(Value::Object(elem)) => {
            for (k, v) in &u.value {
                elem.insert(k.clone(), v.clone());
            }
        }
        Some(_) => return Err(format!("{}: the matching element is not an object", u.array)),
        None if u.append => {
            let mut elem = u.matching.clone();
            elem.extend(u.value.clone());
            items.push(Value::Object(elem));
        }
        None => {
            return Err(format!(
                "{}: no element has {}; Phoenix cannot create it (it holds material only its creator makes)",
                u.array,
                Value::Object(u.matching.clone())
            ))
        }
    }
    Ok(())
}

/// `doc` with the step's values in place.
pub fn merged(mut doc: Value, step: &GuestJsonStep) -> Result<Value, String> {
    for s in &step.set {
        *slot(&mut doc, &s.pointer)? = s.value.clone();
    }
    for u in &step.upsert {
        upsert(&mut doc, u)?;
    }
    Ok(doc)
}

/// What stands in a diff for a value the step does not give.
const HIDDEN: &str = "(not managed here; not shown)";

/// `shown` with only what `given` (the plan's value) names: a member or
/// element the plan does not give is replaced by [`HIDDEN`], so replacing a
/// subtree that held key material says so without printing it.
fn masked(shown: &Value, given: Option<&Value>) -> Value {
    match (shown, given) {
        (Value::Object(m), Some(Value::Object(g))) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), masked(v, g.get(k))))
                .collect(),
        ),
        (Value::Array(a), Some(Value::Array(g))) => Value::Array(
            a.iter()
                .enumerate()
                .map(|(i, v)| masked(v, g.get(i)))
                .collect(),
        ),
        (v, Some(_)) if !v.is_object() && !v.is_array() => v.clone(),
        _ => Value::String(HIDDEN.into()),
    }
}

/// The values a step manages, one `pointer: json` line each, for `--diff`:
/// the rest of the file (key material) is never shown, not even what a
/// managed value replaces.
pub fn managed_view(doc: &Value, step: &GuestJsonStep) -> String {
    let show = |v: Option<&Value>, given: &Value| {
        v.map_or("(absent)".to_string(), |v| {
            masked(v, Some(given)).to_string()
        })
    };
    let mut out = String::new();
    for s in &step.set {
        // The plan check refuses `""`; the whole document is never shown.
        let v = (!s.pointer.is_empty())
            .then(|| doc.pointer(&s.pointer))
            .flatten();
        out.push_str(&format!("{}: {}\n", s.pointer, show(v, &s.value)));
    }
    for u in &step.upsert {
        let at = find(doc, u).filter(|_| !u.array.is_empty());
        for (k, given) in &u.value {
            let v = at.and_then(|i| doc.pointer(&u.array)?.get(i)?.get(k));
            let idx = at.map_or("?".to_string(), |i| i.to_string());
            out.push_str(&format!("{}/{idx}/{k}: {}\n", u.array, show(v, given)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use phx_plan::JsonSet;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn step() -> GuestJsonStep {
        GuestJsonStep {
            set: vec![JsonSet {
                pointer: "/authority/claims/defaultTLSCertDuration".into(),
                value: json!("24h"),
            }],
            upsert: vec![
                JsonUpsert {
                    array: "/authority/provisioners".into(),
                    matching: obj(json!({"type": "JWK"})),
                    value: obj(json!({"name": "admin"})),
                    append: false,
                },
                JsonUpsert {
                    array: "/authority/provisioners".into(),
                    matching: obj(json!({"type": "ACME"})),
                    value: obj(json!({"name": "acme"})),
                    append: true,
                },
            ],
            ..Default::default()
        }
    }

    #[test]
    fn keeps_what_it_does_not_manage() {
        let doc = json!({"root": "/r.crt", "authority": {"provisioners": [
            {"type": "JWK", "name": "old@x", "key": {"kid": "K"}, "encryptedKey": "E"}]}});
        let out = merged(doc, &step()).unwrap();
        assert_eq!(
            out,
            json!({"root": "/r.crt", "authority": {
                "claims": {"defaultTLSCertDuration": "24h"},
                "provisioners": [
                    {"type": "JWK", "name": "admin", "key": {"kid": "K"}, "encryptedKey": "E"},
                    {"type": "ACME", "name": "acme"}]}})
        );
        assert_eq!(merged(out.clone(), &step()).unwrap(), out, "idempotent");
        let view = managed_view(&out, &step());
        assert!(
            view.contains("/authority/provisioners/0/name: \"admin\""),
            "{view}"
        );
        assert!(!view.contains("encryptedKey"), "{view}");
    }

    #[test]
    fn the_diff_never_shows_what_the_plan_does_not_give() {
        let doc = json!({"authority": {"claims": {"x": 1},
            "provisioners": [{"type": "JWK", "encryptedKey": "SECRET-E"}]}});
        let replace = GuestJsonStep {
            set: vec![JsonSet {
                pointer: "/authority".into(),
                value: json!({"claims": {"x": 2}}),
            }],
            ..Default::default()
        };
        let old = managed_view(&doc, &replace);
        let new = managed_view(&merged(doc.clone(), &replace).unwrap(), &replace);
        assert!(!old.contains("SECRET-E"), "{old}");
        assert!(old.contains("\"claims\":{\"x\":1}"), "{old}");
        assert!(
            old.contains("\"provisioners\":\"(not managed here"),
            "{old}"
        );
        assert_eq!(new, "/authority: {\"claims\":{\"x\":2}}\n");
        let whole = GuestJsonStep {
            set: vec![JsonSet {
                pointer: "".into(),
                value: json!({}),
            }],
            ..Default::default()
        };
        let view = managed_view(&doc, &whole);
        assert!(!view.contains("SECRET-E"), "{view}");
    }

    #[test]
    fn a_missing_element_that_cannot_be_made_is_an_error() {
        let doc = json!({"authority": {"provisioners": []}});
        let e = merged(doc, &step()).unwrap_err();
        assert!(e.contains("no element has"), "{e}");
    }

    #[test]
    fn pointer_tokens_are_unescaped() {
        let s = GuestJsonStep {
            set: vec![JsonSet {
                pointer: "/a~1b/c~0d".into(),
                value: json!(1),
            }],
            ..Default::default()
        };
        assert_eq!(merged(json!({}), &s).unwrap(), json!({"a/b": {"c~d": 1}}));
        assert!(tokens("x").is_err());
    }
}
