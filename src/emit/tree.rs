//! A small ordered document tree: what the emitters build, and what `yaml.rs` writes.
//! Keeping it ours keeps serde_yaml out of every emitter.

/// A string of a document: borrowed from the model where it can be (names, labels,
/// the fixed field names of the Kubernetes API), owned where knet makes it (numbers as
/// text, addresses, generated names). A document is built, written and dropped, so
/// borrowing saves an allocation and a free for most of its strings.
pub type Text<'a> = std::borrow::Cow<'a, str>;

/// A map key: a field name of the Kubernetes API, fixed in knet's source and plain in
/// YAML, so written as it is; or a string of the model (a label or annotation key),
/// which the writer quotes when YAML needs it. (Every document has several fields per
/// value, and testing each for quoting was a tenth of `build`.)
#[derive(Debug, Clone, PartialEq)]
pub enum Key<'a> {
    Field(&'static str),
    Text(Text<'a>),
}

/// A YAML node. Maps keep insertion order.
#[derive(Debug, Clone, PartialEq)]
pub enum Node<'a> {
    Map(Vec<(Key<'a>, Node<'a>)>),
    Seq(Vec<Node<'a>>),
    Str(Text<'a>),
    Int(i64),
}

impl<'a> Node<'a> {
    /// An empty map, with room for the keys of most of knet's maps: a `Vec` grows
    /// through room for four, then eight, and a Service's spec or port has five or six.
    pub fn map() -> Node<'a> {
        Node::Map(Vec::with_capacity(8))
    }

    /// The node with every string owned, for a document built from values that do not
    /// outlive it.
    pub fn into_owned(self) -> Node<'static> {
        let owned = |text: Text<'a>| -> Text<'static> { Text::Owned(text.into_owned()) };
        match self {
            Node::Map(entries) => Node::Map(
                entries
                    .into_iter()
                    .map(|(key, value)| {
                        let key = match key {
                            Key::Field(field) => Key::Field(field),
                            Key::Text(text) => Key::Text(owned(text)),
                        };
                        (key, value.into_owned())
                    })
                    .collect(),
            ),
            Node::Seq(items) => Node::Seq(items.into_iter().map(Node::into_owned).collect()),
            Node::Str(text) => Node::Str(owned(text)),
            Node::Int(n) => Node::Int(n),
        }
    }

    /// Adds a key (builder style).
    pub fn with(mut self, key: &'static str, value: impl Into<Node<'a>>) -> Node<'a> {
        if let Node::Map(entries) = &mut self {
            entries.push((Key::Field(key), value.into()));
        }
        self
    }

    /// Adds a key when there is a value.
    pub fn with_opt(self, key: &'static str, value: Option<impl Into<Node<'a>>>) -> Node<'a> {
        match value {
            Some(v) => self.with(key, v),
            None => self,
        }
    }

    /// Adds a sequence when it is not empty.
    pub fn with_seq(self, key: &'static str, items: Vec<Node<'a>>) -> Node<'a> {
        if items.is_empty() {
            self
        } else {
            self.with(key, Node::Seq(items))
        }
    }
}

impl<'a> From<&'a str> for Node<'a> {
    fn from(s: &'a str) -> Node<'a> {
        Node::Str(Text::Borrowed(s))
    }
}

impl<'a> From<String> for Node<'a> {
    fn from(s: String) -> Node<'a> {
        Node::Str(Text::Owned(s))
    }
}

impl<'a> From<&'a String> for Node<'a> {
    fn from(s: &'a String) -> Node<'a> {
        Node::Str(Text::Borrowed(s))
    }
}

impl<'a> From<u16> for Node<'a> {
    fn from(n: u16) -> Node<'a> {
        Node::Int(i64::from(n))
    }
}

impl<'a> From<u32> for Node<'a> {
    fn from(n: u32) -> Node<'a> {
        Node::Int(i64::from(n))
    }
}

impl<'a> From<Vec<Node<'a>>> for Node<'a> {
    fn from(items: Vec<Node<'a>>) -> Node<'a> {
        Node::Seq(items)
    }
}

/// A map of strings (labels, selectors, annotations).
pub fn string_map<'a>(pairs: impl IntoIterator<Item = (&'a String, &'a String)>) -> Node<'a> {
    Node::Map(
        pairs
            .into_iter()
            .map(|(k, v)| (Key::Text(Text::Borrowed(k.as_str())), Node::from(v)))
            .collect(),
    )
}
