//! Helm objects through the `Object` trait: structs with fields, a `String()`
//! method on an addressable field, named types with methods. Expected texts
//! are real Helm's.

use std::rc::Rc;

use helm_template::{
    ArgType, ElemType, FuncError, FuncMap, Map, MissingKey, Object, ObjectKind, Signature,
    Templates, Value,
};

struct KubeVersion;

impl Object for KubeVersion {
    fn type_name(&self) -> String {
        "common.KubeVersion".into()
    }
    fn kind(&self) -> ObjectKind {
        ObjectKind::Struct
    }
    fn fields(&self) -> Vec<(String, Value)> {
        vec![
            ("Version".into(), "v1.36.0".into()),
            ("Normalized".into(), "v1.36.0".into()),
            ("Major".into(), "1".into()),
            ("Minor".into(), "36".into()),
        ]
    }
    fn method(&self, name: &str) -> Option<Signature> {
        (name == "GitVersion").then(|| Signature::new(&[]))
    }
    fn call_method(&self, _name: &str, _args: &[Value]) -> Result<Value, FuncError> {
        Ok("v1.36.0".into())
    }
    fn addressable_string(&self) -> Option<String> {
        Some("v1.36.0".into())
    }
}

struct VersionSet(Vec<&'static str>);

impl Object for VersionSet {
    fn type_name(&self) -> String {
        "common.VersionSet".into()
    }
    fn kind(&self) -> ObjectKind {
        ObjectKind::Named
    }
    fn underlying(&self) -> Option<Value> {
        Some(Value::string_list(self.0.clone()))
    }
    fn method(&self, name: &str) -> Option<Signature> {
        (name == "Has").then(|| Signature::new(&[ArgType::String]))
    }
    fn call_method(&self, _name: &str, args: &[Value]) -> Result<Value, FuncError> {
        Ok(Value::Bool(
            self.0.contains(&args[0].as_str().unwrap_or("")),
        ))
    }
}

struct Capabilities;

impl Object for Capabilities {
    fn type_name(&self) -> String {
        "*common.Capabilities".into()
    }
    fn kind(&self) -> ObjectKind {
        ObjectKind::Pointer
    }
    fn fields(&self) -> Vec<(String, Value)> {
        vec![
            ("KubeVersion".into(), Value::Object(Rc::new(KubeVersion))),
            (
                "APIVersions".into(),
                Value::Object(Rc::new(VersionSet(vec!["v1", "apps/v1"]))),
            ),
        ]
    }
}

struct Files;

impl Object for Files {
    fn type_name(&self) -> String {
        "engine.files".into()
    }
    fn kind(&self) -> ObjectKind {
        ObjectKind::Named
    }
    fn underlying(&self) -> Option<Value> {
        Some(Value::Map(Map::with_type(None, ElemType::Bytes)))
    }
    fn method(&self, name: &str) -> Option<Signature> {
        (name == "Get").then(|| Signature::new(&[ArgType::String]))
    }
    fn call_method(&self, _name: &str, _args: &[Value]) -> Result<Value, FuncError> {
        Ok("".into())
    }
}

fn render(tpl: &str) -> Result<String, String> {
    let mut set = Templates::new("gotpl", FuncMap::new());
    set.set_missing_key(MissingKey::Zero);
    set.parse("t.yaml", tpl).map_err(|e| e.to_string())?;
    let top = Map::with_type(Some("common.Values".into()), ElemType::Interface);
    top.insert("Capabilities", Value::Object(Rc::new(Capabilities)));
    top.insert("Files", Value::Object(Rc::new(Files)));
    set.execute("t.yaml", Value::Map(top))
        .map_err(|e| e.to_string())
}

#[test]
fn struct_fields_methods_and_stringers() {
    assert_eq!(
        render(
            r#"{{ .Capabilities.KubeVersion }}|{{ printf "%v" .Capabilities.KubeVersion }}|{{ .Capabilities.KubeVersion.Major }}|{{ .Capabilities.APIVersions.Has "apps/v1" }}|{{ .Capabilities.KubeVersion.GitVersion }}"#
        ),
        Ok("v1.36.0|{v1.36.0 v1.36.0 1 36}|1|true|v1.36.0".into())
    );
    assert_eq!(
        render(r#"{{ printf "%T|%T" .Capabilities .Files }}"#),
        Ok("*common.Capabilities|engine.files".into())
    );
    assert_eq!(
        render(r#"{{ .Files }}|{{ .Files.Get "nope" }}"#),
        Ok("map[]|".into())
    );
    assert_eq!(
        render(r#"{{ range .Capabilities.APIVersions }}{{ . }};{{ end }}"#),
        Ok("v1;apps/v1;".into())
    );
    assert_eq!(
        render(r#"{{ index .Capabilities.APIVersions 1 }}|{{ len .Capabilities.APIVersions }}"#),
        Ok("apps/v1|2".into())
    );
}

#[test]
fn object_errors_match_helm() {
    assert_eq!(
        render("{{ .Capabilities.Nope }}"),
        Err("template: t.yaml:1:16: executing \"t.yaml\" at <.Capabilities.Nope>: can't evaluate field Nope in type interface {}".into())
    );
    assert_eq!(
        render("{{ .Files.Get }}"),
        Err("template: t.yaml:1:9: executing \"t.yaml\" at <.Files.Get>: wrong number of args for Get: want 1 got 0".into())
    );
}
