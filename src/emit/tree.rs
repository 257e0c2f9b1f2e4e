//! A small ordered document tree: what the emitters build, and what `yaml.rs` writes.
//! Keeping it ours keeps serde_yaml out of every emitter.

/// A map key: most are the fixed field names of the Kubernetes API, which are not
/// copied; label and annotation keys are.
pub type Key = std::borrow::Cow<'static, str>;

/// A YAML node. Maps keep insertion order.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Map(Vec<(Key, Node)>),
    Seq(Vec<Node>),
    Str(String),
    Int(i64),
}

impl Node {
    pub fn map() -> Node {
        Node::Map(Vec::new())
    }

    /// Adds a key (builder style).
    pub fn with(mut self, key: &'static str, value: impl Into<Node>) -> Node {
        if let Node::Map(entries) = &mut self {
            entries.push((Key::Borrowed(key), value.into()));
        }
        self
    }

    /// Adds a key when there is a value.
    pub fn with_opt(self, key: &'static str, value: Option<impl Into<Node>>) -> Node {
        match value {
            Some(v) => self.with(key, v),
            None => self,
        }
    }

    /// Adds a sequence when it is not empty.
    pub fn with_seq(self, key: &'static str, items: Vec<Node>) -> Node {
        if items.is_empty() {
            self
        } else {
            self.with(key, Node::Seq(items))
        }
    }
}

impl From<&str> for Node {
    fn from(s: &str) -> Node {
        Node::Str(s.to_string())
    }
}

impl From<String> for Node {
    fn from(s: String) -> Node {
        Node::Str(s)
    }
}

impl From<&String> for Node {
    fn from(s: &String) -> Node {
        Node::Str(s.clone())
    }
}

impl From<u16> for Node {
    fn from(n: u16) -> Node {
        Node::Int(i64::from(n))
    }
}

impl From<u32> for Node {
    fn from(n: u32) -> Node {
        Node::Int(i64::from(n))
    }
}

impl From<Vec<Node>> for Node {
    fn from(items: Vec<Node>) -> Node {
        Node::Seq(items)
    }
}

/// A map of strings (labels, selectors, annotations).
pub fn string_map<'a>(pairs: impl IntoIterator<Item = (&'a String, &'a String)>) -> Node {
    Node::Map(
        pairs
            .into_iter()
            .map(|(k, v)| (Key::Owned(k.clone()), Node::Str(v.clone())))
            .collect(),
    )
}
