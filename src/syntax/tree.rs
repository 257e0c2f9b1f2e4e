//! Pest's output as a flat tree that lowering walks by index.
//!
//! Why: a pest `Pair` is two reference-counted pointers and a position in pest's token
//! queue. Each step (`into_inner`, the next child, the rule of a pair) clones and drops
//! those pointers and looks the pair's end up again in the queue, and `into_inner`
//! counts the children first. Lowering asks that of every token of the file, and it was
//! a fifth of `check`. Here the queue is read once, in order, into nodes that know their
//! rule, their text's extent, their next and previous siblings and their child count;
//! a [`Node`] is a reference and an index, and every step is a field read.
//!
//! [`Node`] answers the questions lowering asks of a pair, by the same names
//! (`as_rule`, `as_str`, `as_span`, `into_inner`), so that lowering reads as it did.

use pest::iterators::Pairs;
use pest::Token;

use super::Rule;

/// The rules of a parser generated from the knet grammar: [`Rule`] itself, and those of
/// the piece parser, whose grammar differs in how it reads a few tokens.
pub(super) trait GrammarRule: pest::RuleType {
    /// The same rule of the knet grammar.
    fn knet(self) -> Rule;
}

impl GrammarRule for Rule {
    fn knet(self) -> Rule {
        self
    }
}

/// No node: the end of a sibling chain.
const NONE: u32 = u32::MAX;

/// The parse of one piece of text, in the queue's order (a node before its children).
pub(super) struct Tree<'i> {
    input: &'i str,
    nodes: Vec<NodeData>,
}

struct NodeData {
    rule: Rule,
    start: usize,
    end: usize,
    /// The node after this one's subtree: its next sibling, if it has one. While the
    /// tree is read and this node is open, its parent (no stack of open nodes).
    after: u32,
    /// The previous sibling, or `NONE`.
    previous: u32,
    /// The last child, or `NONE`.
    last_child: u32,
    children: u32,
}

impl<'i> Tree<'i> {
    /// Reads pest's pairs (the tokens of one parse) into a tree.
    pub fn new<R: GrammarRule>(pairs: Pairs<'i, R>) -> Tree<'i> {
        let input = pairs.get_input();
        let tokens = pairs.tokens();
        // Two tokens a node: sized once, not grown by doubling.
        let mut nodes: Vec<NodeData> = Vec::with_capacity(tokens.len() / 2);
        // The innermost node open at this point (its parent is in `after` until it
        // closes), or `NONE` at the top.
        let mut open = NONE;
        for token in tokens {
            match token {
                Token::Start { rule, pos } => {
                    let index = index(nodes.len());
                    let mut previous = NONE;
                    if let Some(parent) = nodes.get_mut(open as usize) {
                        previous = parent.last_child;
                        parent.last_child = index;
                        parent.children += 1;
                    }
                    nodes.push(NodeData {
                        rule: rule.knet(),
                        start: pos.pos(),
                        end: pos.pos(),
                        after: open,
                        previous,
                        last_child: NONE,
                        children: 0,
                    });
                    open = index;
                }
                Token::End { pos, .. } => {
                    let after = index(nodes.len());
                    if let Some(node) = nodes.get_mut(open as usize) {
                        node.end = pos.pos();
                        open = std::mem::replace(&mut node.after, after);
                    }
                }
            }
        }
        Tree { input, nodes }
    }

    /// Whether the text of every node passes the check `check_of` gives for its rule, if
    /// any (the text is sliced only for the nodes that have one).
    pub fn every<C>(
        &self,
        check_of: impl Fn(Rule) -> Option<C>,
        passes: impl Fn(C, &str) -> bool,
    ) -> bool {
        self.nodes.iter().all(|node| {
            check_of(node.rule).is_none_or(|check| {
                passes(
                    check,
                    self.input.get(node.start..node.end).unwrap_or_default(),
                )
            })
        })
    }

    /// The first pair of the parse (every entry rule gives one).
    pub fn root(&self) -> Option<Node<'_>> {
        (!self.nodes.is_empty()).then_some(Node { tree: self, at: 0 })
    }
}

/// A node index: a piece has far fewer than 2^32 tokens (a file of 100,000 apps has a
/// few million); a larger one is cut short rather than read wrong.
fn index(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(NONE)
}

/// One pair of the parse.
#[derive(Clone, Copy)]
pub(super) struct Node<'t> {
    tree: &'t Tree<'t>,
    at: u32,
}

/// Where a node's text starts and ends, in the text given to pest.
pub(super) struct Extent {
    start: usize,
    end: usize,
}

impl Extent {
    pub fn start(&self) -> usize {
        self.start
    }

    pub fn end(&self) -> usize {
        self.end
    }
}

impl<'t> Node<'t> {
    fn data(&self) -> &'t NodeData {
        &self.tree.nodes[self.at as usize]
    }

    pub fn as_rule(&self) -> Rule {
        self.data().rule
    }

    pub fn as_str(&self) -> &'t str {
        let data = self.data();
        self.tree
            .input
            .get(data.start..data.end)
            .unwrap_or_default()
    }

    pub fn as_span(&self) -> Extent {
        let data = self.data();
        Extent {
            start: data.start,
            end: data.end,
        }
    }

    /// The children, in order (and in reverse, with `rev`).
    pub fn into_inner(self) -> Children<'t> {
        let data = self.data();
        Children {
            tree: self.tree,
            front: if data.children > 0 { self.at + 1 } else { NONE },
            back: data.last_child,
            left: data.children,
        }
    }
}

/// The children of a node not yet taken from either end.
pub(super) struct Children<'t> {
    tree: &'t Tree<'t>,
    front: u32,
    back: u32,
    left: u32,
}

impl<'t> Children<'t> {
    /// The child at `at`, one of those left at either end, or `None` when none are.
    fn take(&mut self, at: u32) -> Option<Node<'t>> {
        self.left = self.left.checked_sub(1)?;
        Some(Node {
            tree: self.tree,
            at,
        })
    }
}

impl<'t> Iterator for Children<'t> {
    type Item = Node<'t>;

    fn next(&mut self) -> Option<Node<'t>> {
        let node = self.take(self.front)?;
        self.front = node.data().after;
        Some(node)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.left as usize;
        (left, Some(left))
    }
}

impl DoubleEndedIterator for Children<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        let node = self.take(self.back)?;
        self.back = node.data().previous;
        Some(node)
    }
}

impl ExactSizeIterator for Children<'_> {}

#[cfg(test)]
mod tests {
    use pest::Parser;

    use super::super::KnetParser;
    use super::*;

    /// The tree as nested text: rule, text and children, read with pest's own pairs.
    fn shown_by_pest(pair: pest::iterators::Pair<Rule>) -> String {
        let children: Vec<String> = pair.clone().into_inner().map(shown_by_pest).collect();
        format!(
            "{:?}{:?}[{}]",
            pair.as_rule(),
            pair.as_str(),
            children.join(",")
        )
    }

    /// The same, read through the tree, forwards and backwards.
    fn shown_by_tree(node: Node) -> String {
        let children: Vec<String> = node.into_inner().map(shown_by_tree).collect();
        let mut backwards: Vec<String> = node.into_inner().rev().map(shown_by_tree).collect();
        backwards.reverse();
        assert_eq!(children, backwards, "{:?}", node.as_rule());
        assert_eq!(node.into_inner().len(), children.len());
        format!(
            "{:?}{:?}[{}]",
            node.as_rule(),
            node.as_str(),
            children.join(",")
        )
    }

    /// Every construct, nested blocks and empty ones: the tree has the pairs pest gives,
    /// with the same rules, texts and children in the same order either way round.
    #[test]
    fn the_tree_holds_the_pairs_pest_gives() {
        let text = "cluster {\n  dns namespace kube-system labels k8s-app=kube-dns port 53\n}\n\
            namespace shop { # c\n  app api {\n    labels app=api, tier=\"a b\"\n    port http 80 -> 8080 node-port 30080\n    service p {\n      type NodePort\n    }\n  }\n  app empty {\n  }\n  external e {\n    cidr 10.0.0.0/8 except {10.1.0.0/16, 10.2.0.0/16}\n  }\n  ingress web {\n    host a.com {\n      tls cert\n      /x -> api:http\n    }\n  }\n  allow api, */* -> e:{80, 443/udp, 30000-30100}\n  expect deny api -> world\n}\n";
        let pest_root = KnetParser::parse(Rule::file, text)
            .expect("parses")
            .next()
            .expect("a file");
        let tree = Tree::new(KnetParser::parse(Rule::file, text).expect("parses"));
        let root = tree.root().expect("a root");
        assert_eq!(shown_by_tree(root), shown_by_pest(pest_root));
        assert_eq!(root.as_span().start(), 0);
        assert_eq!(root.as_span().end(), text.len());
    }
}
