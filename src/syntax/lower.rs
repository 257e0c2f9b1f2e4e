//! The parse tree (`tree`, pest's pairs read once) to AST, one function per grammar rule.
//!
//! The grammar guarantees the shape of every pair, so the functions here match on rule
//! names and skip what they do not expect instead of failing: a mismatch would be a bug
//! in this file, caught by the tests over every construct, never a panic on user input.

use super::ast::*;
use super::tree::Node;
use super::Rule;
use crate::source::{FileId, Span};

type P<'t> = Node<'t>;

/// Where the text pest was given sits in its file. Pest's offsets are relative to that
/// text, which is one piece of the file when it is parsed a piece at a time (`pieces`).
#[derive(Debug, Clone, Copy)]
pub(super) struct Origin {
    pub file: FileId,
    pub base: usize,
}

impl Origin {
    pub fn whole(file: FileId) -> Origin {
        Origin { file, base: 0 }
    }

    fn span(self, start: usize, end: usize) -> Span {
        Span::new(self.file, self.base + start, self.base + end)
    }
}

fn span(file: Origin, pair: &P) -> Span {
    let s = pair.as_span();
    file.span(s.start(), s.end())
}

/// The span of a statement without its line end: `eol` swallows the blank and comment
/// lines that follow, which no diagnostic should underline.
fn statement_span(file: Origin, pair: &P) -> Span {
    let whole = pair.as_span();
    // From the end: the line end is the last child, if any.
    let end = pair
        .into_inner()
        .rev()
        .find(|p| !matches!(p.as_rule(), Rule::eol | Rule::EOI))
        .map_or(whole.end(), |p| p.as_span().end());
    file.span(whole.start(), end)
}

/// Collects into a vector without spare room: the tree of a large file holds hundreds
/// of thousands of short lists (peers, labels, lines), and `collect` on a filtered
/// iterator grows through room for four items. The children of a pair are counted, so
/// the room is taken once from the iterator's upper bound and given back only when some
/// were filtered out.
fn exact<T>(items: impl Iterator<Item = T>) -> Vec<T> {
    let mut out = Vec::with_capacity(items.size_hint().1.unwrap_or(0));
    out.extend(items);
    out.shrink_to_fit();
    out
}

/// The meaningful children of a pair: punctuation and line ends dropped.
fn parts<'i>(pair: P<'i>) -> impl Iterator<Item = P<'i>> {
    pair.into_inner().filter(|p| {
        !matches!(
            p.as_rule(),
            Rule::lbrace | Rule::rbrace | Rule::arrow | Rule::colon | Rule::eol | Rule::EOI
        )
    })
}

/// The children that are not keywords.
fn values<'i>(pair: P<'i>) -> impl Iterator<Item = P<'i>> {
    parts(pair).filter(|p| !is_keyword(p.as_rule()))
}

/// Whether a rule is a keyword (`kw_*`). Decided once per rule from its name, then read
/// from a table: lowering asks this of every pair.
fn is_keyword(rule: Rule) -> bool {
    static KEYWORDS: std::sync::OnceLock<Vec<bool>> = std::sync::OnceLock::new();
    let table = KEYWORDS.get_or_init(|| {
        let len = Rule::all_rules().iter().map(|&r| r as usize + 1).max();
        let mut table = vec![false; len.unwrap_or(0)];
        for &rule in Rule::all_rules() {
            table[rule as usize] = format!("{rule:?}").starts_with("kw_");
        }
        table
    });
    table.get(rule as usize).copied().unwrap_or(false)
}

/// The span of a block's closing `}`.
fn close(file: Origin, pair: &P) -> Span {
    pair.into_inner()
        .rev()
        .find(|p| p.as_rule() == Rule::rbrace)
        .map_or_else(|| span(file, pair), |p| span(file, &p))
}

fn text(file: Origin, pair: &P) -> Spanned<String> {
    Spanned::new(pair.as_str().to_string(), span(file, pair))
}

fn number(file: Origin, pair: &P) -> Number {
    Spanned::new(decimal(pair.as_str()), span(file, pair))
}

/// The value of a run of digits (the grammar says they are digits); too many digits
/// saturate and are reported by the checker as out of range.
fn decimal(digits: &str) -> u64 {
    digits.bytes().fold(0u64, |acc, digit| {
        acc.saturating_mul(10)
            .saturating_add(u64::from(digit.wrapping_sub(b'0')))
    })
}

pub fn file(file_id: FileId, root: P) -> File {
    let file_id = Origin::whole(file_id);
    let items = parts(root)
        .filter_map(|pair| match pair.as_rule() {
            Rule::namespace_block => Some(Item::Namespace(namespace_block(file_id, pair))),
            _ => top_item(file_id, pair),
        })
        .collect();
    File { items }
}

/// A `cluster` or `namespaces` block; an `other_top_piece` is lowered as the block it wraps.
pub(super) fn top_item(file: Origin, pair: P) -> Option<Item> {
    match pair.as_rule() {
        Rule::cluster_block => Some(Item::Cluster(cluster_block(file, pair))),
        Rule::group_block => Some(Item::Group(group_block(file, pair))),
        Rule::other_top_piece => top_item(file, pair.into_inner().next()?),
        _ => None,
    }
}

// ───────────────────────────── cluster ─────────────────────────────

fn cluster_block(file: Origin, pair: P) -> ClusterBlock {
    let mut keyword = span(file, &pair);
    let close = close(file, &pair);
    let mut settings = Vec::new();
    for part in parts(pair) {
        if part.as_rule() == Rule::kw_cluster {
            keyword = span(file, &part);
        } else if let Some(setting) = cluster_setting(file, part) {
            settings.push(setting);
        }
    }
    ClusterBlock {
        keyword,
        settings,
        close,
    }
}

fn cluster_setting(file: Origin, pair: P) -> Option<Spanned<ClusterSetting>> {
    let whole = statement_span(file, &pair);
    let rule = pair.as_rule();
    let mut values = values(pair);
    let first = values.next();
    let setting = match (rule, first) {
        (Rule::service_cidr_setting, Some(v)) => ClusterSetting::ServiceCidr(text(file, &v)),
        (Rule::pod_cidr_setting, Some(v)) => ClusterSetting::PodCidr(text(file, &v)),
        (Rule::node_port_range_setting, Some(v)) => {
            ClusterSetting::NodePortRange(port_range(file, v))
        }
        (Rule::dns_setting, first) => {
            let (namespace, labels, port) = clauses(file, first.into_iter().chain(values));
            ClusterSetting::Dns {
                namespace,
                labels,
                port,
            }
        }
        (Rule::ingress_controller_setting, first) => {
            let (namespace, labels, _) = clauses(file, first.into_iter().chain(values));
            ClusterSetting::IngressController { namespace, labels }
        }
        (Rule::node_ip_setting, Some(v)) => ClusterSetting::NodeIp(text(file, &v)),
        (Rule::node_name_setting, Some(v)) => ClusterSetting::NodeName(text(file, &v)),
        (Rule::masquerade_mark_setting, Some(v)) => ClusterSetting::MasqueradeMark(text(file, &v)),
        (Rule::localhost_node_ports_setting, Some(v)) => {
            ClusterSetting::LocalhostNodePorts(switch(file, v))
        }
        (Rule::random_fully_setting, Some(v)) => ClusterSetting::RandomFully(switch(file, v)),
        (Rule::nfacct_setting, Some(v)) => ClusterSetting::Nfacct(switch(file, v)),
        (Rule::app_label_setting, Some(v)) => ClusterSetting::AppLabel(text(file, &v)),
        (Rule::routes_setting, Some(v)) => ClusterSetting::Routes(routes_mode(file, v)),
        (Rule::gateway_setting, Some(v)) => ClusterSetting::Gateway(gateway_ref(file, v)?),
        (Rule::gateway_pods_setting, first) => {
            let (namespace, labels, _) = clauses(file, first.into_iter().chain(values));
            ClusterSetting::GatewayPods { namespace, labels }
        }
        (Rule::policy_version_setting, Some(v)) => {
            let value = if v.as_rule() == Rule::string {
                string(file, v)
            } else {
                text(file, &v)
            };
            ClusterSetting::PolicyVersion(value)
        }
        _ => return None,
    };
    Some(Spanned::new(setting, whole))
}

type Clauses = (Option<Name>, Option<Vec<Label>>, Option<Number>);

/// `namespace NS`, `labels K=V, ...`, `port N` clauses of `dns` and `ingress-controller`.
fn clauses<'i>(file: Origin, pairs: impl Iterator<Item = P<'i>>) -> Clauses {
    let (mut namespace, mut labels, mut port) = (None, None, None);
    for clause in pairs {
        let rule = clause.as_rule();
        let Some(value) = values(clause).next() else {
            continue;
        };
        match rule {
            Rule::namespace_clause => namespace = Some(text(file, &value)),
            Rule::labels_clause => labels = Some(label_list(file, value)),
            Rule::port_clause => port = Some(number(file, &value)),
            _ => {}
        }
    }
    (namespace, labels, port)
}

fn routes_mode(file: Origin, pair: P) -> Spanned<RoutesMode> {
    let api = pair
        .into_inner()
        .any(|p| p.as_rule() == Rule::kw_gateway_api);
    let mode = if api {
        RoutesMode::GatewayApi
    } else {
        RoutesMode::Ingress
    };
    Spanned::new(mode, span(file, &pair))
}

/// `NS/NAME`
fn gateway_ref(file: Origin, pair: P) -> Option<GatewayRef> {
    let whole = span(file, &pair);
    let mut names = pair.into_inner().filter(|p| p.as_rule() == Rule::name);
    let namespace = text(file, &names.next()?);
    let name = text(file, &names.next()?);
    Some(GatewayRef {
        namespace,
        name,
        span: whole,
    })
}

fn switch(file: Origin, pair: P) -> Spanned<bool> {
    let on = pair.into_inner().any(|p| p.as_rule() == Rule::kw_on);
    Spanned::new(on, span(file, &pair))
}

// ───────────────────────────── namespace ─────────────────────────────

fn namespace_block(file: Origin, pair: P) -> NamespaceBlock {
    let close = close(file, &pair);
    let (mut block, items) = namespace_opening(file, pair);
    block.items = items.filter_map(|p| namespace_item(file, p)).collect();
    block.close = close;
    block
}

/// `[unmanaged] namespace NAME {` without its items, which a piece-at-a-time parse adds
/// one by one, and its closing brace (a default span until then).
pub(super) fn namespace_head(file: Origin, pair: P) -> NamespaceBlock {
    namespace_opening(file, pair).0
}

/// The block without its items, and the parts after the name (the items, when `pair` is
/// a whole `namespace_block`).
fn namespace_opening<'i>(
    file: Origin,
    pair: P<'i>,
) -> (NamespaceBlock, impl Iterator<Item = P<'i>>) {
    // `unmanaged? ~ kw_namespace ~ name ~ ...`
    let mut parts = parts(pair).peekable();
    let unmanaged = parts
        .next_if(|p| p.as_rule() == Rule::unmanaged)
        .map(|p| span(file, &p));
    parts.next_if(|p| p.as_rule() == Rule::kw_namespace);
    let name = parts
        .next()
        .map(|p| text(file, &p))
        .unwrap_or_else(|| Spanned::new(String::new(), Span::default()));
    let block = NamespaceBlock {
        name,
        unmanaged,
        items: Vec::new(),
        close: Span::default(),
    };
    (block, parts)
}

/// One `namespace_piece`: the items it holds.
pub(super) fn namespace_piece<'i>(
    file: Origin,
    pair: P<'i>,
) -> impl Iterator<Item = NamespaceItem> + 'i {
    pair.into_inner()
        .filter_map(move |item| namespace_item(file, item))
}

/// `namespaces GROUP { labels ... }`
fn group_block(file: Origin, pair: P) -> GroupBlock {
    let whole = span(file, &pair);
    let close = close(file, &pair);
    let (name, lines) = named_block(file, pair);
    let labels = lines
        .into_iter()
        .filter(|p| p.as_rule() == Rule::labels_line)
        .filter_map(|line| {
            let line_span = statement_span(file, &line);
            let list = values(line).next()?;
            Some(Spanned::new(label_list(file, list), line_span))
        })
        .collect();
    GroupBlock {
        name,
        labels,
        span: whole,
        close,
    }
}

fn namespace_item(file: Origin, pair: P) -> Option<NamespaceItem> {
    let whole = statement_span(file, &pair);
    Some(match pair.as_rule() {
        Rule::app_block => NamespaceItem::App(app_block(file, pair)),
        Rule::external_block => NamespaceItem::External(external_block(file, pair)),
        Rule::ingress_block => NamespaceItem::Ingress(ingress_block(file, pair)),
        Rule::allow_stmt => NamespaceItem::Flow(allow_stmt(file, pair)),
        Rule::default_stmt => NamespaceItem::Default(default_stmt(file, pair)),
        Rule::dns_stmt => NamespaceItem::DnsOff(whole),
        Rule::app_label_stmt => NamespaceItem::AppLabel(text(file, &values(pair).next()?)),
        Rule::expect_stmt => NamespaceItem::Expect(Box::new(expect_stmt(file, pair, whole)?)),
        _ => return None,
    })
}

fn default_stmt(file: Origin, pair: P) -> Spanned<DefaultPolicy> {
    let whole = statement_span(file, &pair);
    let rules: Vec<Rule> = parts(pair).map(|p| p.as_rule()).collect();
    let policy = if rules.contains(&Rule::kw_deny) {
        DefaultPolicy::Deny
    } else if rules.contains(&Rule::kw_ingress) {
        DefaultPolicy::AllowIngress
    } else if rules.contains(&Rule::kw_egress) {
        DefaultPolicy::AllowEgress
    } else {
        DefaultPolicy::AllowBoth
    };
    Spanned::new(policy, whole)
}

/// The name after a block keyword and the remaining children.
fn named_block<'i>(file: Origin, pair: P<'i>) -> (Name, impl Iterator<Item = P<'i>>) {
    let mut values = values(pair);
    let name = values.next().map_or_else(
        || Spanned::new(String::new(), Span::default()),
        |first| text(file, &first),
    );
    (name, values)
}

// ───────────────────────────── app ─────────────────────────────

fn app_block(file: Origin, pair: P) -> App {
    let close = close(file, &pair);
    let (name, lines) = named_block(file, pair);
    let lines = exact(lines.filter_map(|p| app_line(file, p)));
    App { name, lines, close }
}

fn app_line(file: Origin, pair: P) -> Option<Spanned<AppLine>> {
    let whole = statement_span(file, &pair);
    let rule = pair.as_rule();
    let block_close = (rule == Rule::service_block).then(|| close(file, &pair));
    let has_local =
        rule == Rule::endpoint_line && pair.into_inner().any(|p| p.as_rule() == Rule::kw_local);
    let mut vals = values(pair);
    let line = match rule {
        Rule::labels_line => AppLine::Labels(label_list(file, vals.next()?)),
        Rule::port_line => AppLine::Port(port_decl(file, whole, vals)?),
        Rule::service_line => AppLine::Service(text(file, &vals.next()?)),
        Rule::cluster_ip_line => AppLine::ClusterIp(text(file, &vals.next()?)),
        Rule::external_ips_line => AppLine::ExternalIps(address_list(file, vals.next()?)),
        Rule::source_ranges_line => AppLine::SourceRanges(address_list(file, vals.next()?)),
        Rule::traffic_policy_line => AppLine::TrafficPolicy(text(file, &vals.next()?)),
        Rule::health_check_node_port_line => {
            AppLine::HealthCheckNodePort(number(file, &vals.next()?))
        }
        Rule::session_affinity_line => AppLine::SessionAffinity {
            mode: text(file, &vals.next()?),
            timeout: vals.next().map(|p| number(file, &p)),
        },
        Rule::annotation_line => AppLine::Annotation(annotation(file, vals)?),
        Rule::replicas_line => AppLine::Replicas(number(file, &vals.next()?)),
        Rule::endpoint_line => AppLine::Endpoint {
            address: text(file, &vals.next()?),
            local: has_local,
        },
        Rule::load_balancer_ingress_line => AppLine::LoadBalancerIngress(text(file, &vals.next()?)),
        Rule::service_labels_line => AppLine::ServiceLabels(label_list(file, vals.next()?)),
        Rule::type_line => AppLine::Type(text(file, &vals.next()?)),
        Rule::ports_line => AppLine::Ports(vals.map(|p| text(file, &p)).collect()),
        Rule::service_node_port_line => AppLine::NodePort {
            port: text(file, &vals.next()?),
            number: number(file, &vals.next()?),
        },
        Rule::service_block => {
            let name = text(file, &vals.next()?);
            let lines = exact(vals.filter_map(|p| app_line(file, p)));
            AppLine::ExtraService(ServiceBlock {
                name,
                lines,
                close: block_close.unwrap_or(whole),
            })
        }
        _ => return None,
    };
    Some(Spanned::new(line, whole))
}

/// `port NAME NUMBER[/PROTO] [-> TARGET] [node-port N]`; the `node-port` keyword is
/// dropped by `values`, so a number after the target (or after the port) is the node port.
fn port_decl<'i>(
    file: Origin,
    whole: Span,
    mut vals: impl Iterator<Item = P<'i>>,
) -> Option<PortDecl> {
    let _ = whole;
    let first = vals.next()?;
    let (name, named, port) = if first.as_rule() == Rule::port_number {
        // An unnamed port: it answers to its number.
        let port = port_number(file, first);
        let name = Spanned::new(port.number.node.to_string(), port.number.span);
        (name, false, port)
    } else {
        (text(file, &first), true, port_number(file, vals.next()?))
    };
    let mut target = None;
    let mut node_port = None;
    for value in vals {
        match value.as_rule() {
            Rule::port_target => {
                let inner = value.into_inner().next()?;
                let node = if inner.as_rule() == Rule::number {
                    PortTarget::Number(number(file, &inner).node)
                } else {
                    PortTarget::Name(inner.as_str().to_string())
                };
                target = Some(Spanned::new(node, span(file, &value)));
            }
            Rule::number => node_port = Some(Box::new(number(file, &value))),
            _ => {}
        }
    }
    Some(PortDecl {
        name,
        named,
        port,
        target,
        node_port,
    })
}

fn port_number(file: Origin, pair: P) -> PortNumber {
    let (number, _, protocol) = split_port(file, &pair);
    PortNumber { number, protocol }
}

fn port_range(file: Origin, pair: P) -> PortRange {
    let whole = span(file, &pair);
    let (low, high, protocol) = split_port(file, &pair);
    PortRange {
        low,
        high: high.unwrap_or_else(|| Spanned::new(0, whole)),
        protocol,
        span: whole,
    }
}

/// `30000-30100/udp` -> the first number, the second (of a range), and the protocol,
/// each with its span. (The grammar makes the numbers digits.)
fn split_port(file: Origin, pair: &P) -> (Number, Option<Number>, Protocol) {
    let text = pair.as_str();
    let start = pair.as_span().start();
    let (numbers, protocol) = match text.split_once('/') {
        Some((numbers, protocol)) => {
            let at = start + numbers.len() + 1;
            let name = Spanned::new(protocol.to_string(), file.span(at, at + protocol.len()));
            (numbers, Some(Box::new(name)))
        }
        None => (text, None),
    };
    let digits = |from: usize, digits: &str| {
        Spanned::new(decimal(digits), file.span(from, from + digits.len()))
    };
    match numbers.split_once('-') {
        Some((low, high)) => (
            digits(start, low),
            Some(digits(start + low.len() + 1, high)),
            protocol,
        ),
        None => (digits(start, numbers), None, protocol),
    }
}

fn label_list(file: Origin, pair: P) -> Vec<Label> {
    exact(
        pair.into_inner()
            .filter(|p| p.as_rule() == Rule::label)
            .filter_map(|p| label(file, p)),
    )
}

fn label(file: Origin, pair: P) -> Option<Label> {
    let mut inner = pair.into_inner();
    let key = text(file, &inner.next()?);
    // A quoted string or a bare value (which may be empty, and is still a pair).
    let value_pair = inner.next()?;
    let value = if value_pair.as_rule() == Rule::string {
        string(file, value_pair)
    } else {
        text(file, &value_pair)
    };
    Some(Label { key, value })
}

fn address_list(file: Origin, pair: P) -> Vec<Spanned<String>> {
    pair.into_inner()
        .filter(|p| p.as_rule() == Rule::address)
        .map(|p| text(file, &p))
        .collect()
}

fn annotation<'i>(file: Origin, mut vals: impl Iterator<Item = P<'i>>) -> Option<Annotation> {
    let key = string(file, vals.next()?);
    let value = string(file, vals.next()?);
    Some(Annotation { key, value })
}

/// A quoted string, unescaped. The span covers the quotes.
fn string(file: Origin, pair: P) -> Spanned<String> {
    let whole = span(file, &pair);
    let raw = pair
        .into_inner()
        .next()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(escaped) = chars.next() {
                out.push(escaped);
            }
        } else {
            out.push(c);
        }
    }
    Spanned::new(out, whole)
}

// ───────────────────────────── external ─────────────────────────────

fn external_block(file: Origin, pair: P) -> External {
    let close = close(file, &pair);
    let (name, lines) = named_block(file, pair);
    let lines = lines
        .into_iter()
        .filter_map(|p| external_line(file, p))
        .collect();
    External { name, lines, close }
}

fn external_line(file: Origin, pair: P) -> Option<Spanned<ExternalLine>> {
    let whole = statement_span(file, &pair);
    let rule = pair.as_rule();
    let mut vals = values(pair);
    let line = match rule {
        Rule::host_line => ExternalLine::Host(text(file, &vals.next()?)),
        Rule::cidr_line => ExternalLine::Cidr(vals.map(|p| cidr_entry(file, p)).collect()),
        Rule::external_port_line => ExternalLine::Port(port_decl(file, whole, vals)?),
        _ => return None,
    };
    Some(Spanned::new(line, whole))
}

fn cidr_entry(file: Origin, pair: P) -> CidrEntry {
    let mut cidr = Spanned::new(String::new(), span(file, &pair));
    let mut except = Vec::new();
    for (i, part) in values(pair).enumerate() {
        match part.as_rule() {
            Rule::address if i == 0 => cidr = text(file, &part),
            Rule::address => except.push(text(file, &part)),
            Rule::address_list => except.extend(address_list(file, part)),
            _ => {}
        }
    }
    CidrEntry { cidr, except }
}

// ───────────────────────────── ingress ─────────────────────────────

fn ingress_block(file: Origin, pair: P) -> Ingress {
    let close = close(file, &pair);
    let (name, lines) = named_block(file, pair);
    let lines = exact(lines.into_iter().filter_map(|p| ingress_line(file, p)));
    Ingress { name, lines, close }
}

fn ingress_line(file: Origin, pair: P) -> Option<Spanned<IngressLine>> {
    let whole = statement_span(file, &pair);
    let rule = pair.as_rule();
    let line = match rule {
        Rule::class_line => IngressLine::Class(text(file, &values(pair).next()?)),
        Rule::annotation_line => IngressLine::Annotation(annotation(file, values(pair))?),
        Rule::host_block => IngressLine::Host(host_block(file, pair)?),
        Rule::route_line => IngressLine::Route(route(file, pair)?),
        Rule::default_backend_line => IngressLine::Default(backend(file, values(pair).next()?)),
        Rule::routes_line => IngressLine::Routes(routes_mode(file, values(pair).next()?)),
        Rule::gateway_line => IngressLine::Gateway(gateway_ref(file, values(pair).next()?)?),
        _ => return None,
    };
    Some(Spanned::new(line, whole))
}

fn host_block(file: Origin, pair: P) -> Option<HostBlock> {
    let close = close(file, &pair);
    let mut vals = values(pair);
    let host = text(file, &vals.next()?);
    let mut tls = Vec::new();
    let mut routes = Vec::new();
    for item in vals {
        match item.as_rule() {
            Rule::tls_line => {
                if let Some(secret) = values(item).next() {
                    tls.push(text(file, &secret));
                }
            }
            Rule::route_line => routes.extend(route(file, item)),
            _ => {}
        }
    }
    // No spare room: a model of many namespaces has as many host blocks.
    tls.shrink_to_fit();
    routes.shrink_to_fit();
    Some(HostBlock {
        host,
        tls,
        routes,
        close,
    })
}

fn route(file: Origin, pair: P) -> Option<Route> {
    let whole = span(file, &pair);
    let mut path_type = None;
    let mut path = None;
    let mut target = None;
    for part in parts(pair) {
        match part.as_rule() {
            Rule::path_type => {
                let kind = match part.into_inner().next().map(|p| p.as_rule()) {
                    Some(Rule::kw_exact) => PathType::Exact,
                    Some(Rule::kw_implementation_specific) => PathType::ImplementationSpecific,
                    _ => PathType::Prefix,
                };
                path_type = Some(Spanned::new(kind, span(file, &part)));
            }
            Rule::path => path = Some(text(file, &part)),
            Rule::backend => target = Some(backend(file, part)),
            _ => {}
        }
    }
    // The route's span stops at the end of its backend, not at the next line.
    let backend = target?;
    let span = Span::new(whole.file(), whole.start(), backend.span.end());
    Some(Route {
        path_type,
        path: path?,
        backend,
        span,
    })
}

fn backend(file: Origin, pair: P) -> Backend {
    let whole = span(file, &pair);
    let mut names = values(pair);
    let app = names
        .next()
        .map(|p| text(file, &p))
        .unwrap_or_else(|| Spanned::new(String::new(), whole));
    let port = names.next().map(|p| text(file, &p));
    Backend {
        app,
        port,
        span: whole,
    }
}

// ───────────────────────────── flows ─────────────────────────────

fn allow_stmt(file: Origin, pair: P) -> Flow {
    let whole = span(file, &pair);
    let mut lists = values(pair);
    let sources = lists.next().map(|p| peer_list(file, p)).unwrap_or_default();
    let destinations = lists.next().map(|p| peer_list(file, p)).unwrap_or_default();
    let end = destinations
        .last()
        .map_or(whole.end(), |p: &Peer| p.span.end());
    Flow {
        sources,
        destinations,
        span: Span::new(whole.file(), whole.start(), end),
    }
}

fn expect_stmt(file: Origin, pair: P, whole: Span) -> Option<Expect> {
    let mut parts = parts(pair);
    let verdict = parts.find(|p| matches!(p.as_rule(), Rule::kw_allow | Rule::kw_deny))?;
    let allow = Spanned::new(verdict.as_rule() == Rule::kw_allow, span(file, &verdict));
    let mut peers = parts
        .filter(|p| p.as_rule() == Rule::peer)
        .filter_map(|p| peer(file, p));
    Some(Expect {
        allow,
        source: peers.next()?,
        destination: peers.next()?,
        span: whole,
    })
}

fn peer_list(file: Origin, pair: P) -> Vec<Peer> {
    exact(
        pair.into_inner()
            .filter(|p| p.as_rule() == Rule::peer)
            .filter_map(|p| peer(file, p)),
    )
}

fn peer(file: Origin, pair: P) -> Option<Peer> {
    let whole = span(file, &pair);
    let mut parts = parts(pair);
    let target_pair = parts.next()?;
    let target_span = span(file, &target_pair);
    let target = match target_pair.as_rule() {
        Rule::all_pods => PeerTarget::AllPods,
        Rule::any_namespace => {
            let second = target_pair.into_inner().nth(1)?;
            if second.as_rule() == Rule::all_pods {
                PeerTarget::AnyNamespace
            } else {
                PeerTarget::AnyNamespaceApp(text(file, &second))
            }
        }
        _ => {
            let mut inner = target_pair.into_inner();
            let first = inner.next()?;
            match inner.next() {
                None => PeerTarget::Name(first.as_str().to_string()),
                Some(second) if second.as_rule() == Rule::all_pods => {
                    PeerTarget::NamespacePods(text(file, &first))
                }
                Some(second) => PeerTarget::Qualified(Box::new(QualifiedApp {
                    namespace: text(file, &first),
                    app: text(file, &second),
                })),
            }
        }
    };
    // (The one port set, collected on its own: through `flat_map` the list could not be
    // sized from the set's children, and grew and shrank again for every peer.)
    let ports = parts
        .find(|p| p.as_rule() == Rule::port_set)
        .map(|set| exact(values(set).map(|p| port_ref(file, p))).into_boxed_slice())
        .unwrap_or_default();
    Some(Peer {
        target: Spanned::new(target, target_span),
        ports,
        span: whole,
    })
}

fn port_ref(file: Origin, pair: P) -> Spanned<PortRef> {
    let whole = span(file, &pair);
    let node = match pair.as_rule() {
        Rule::port_range => {
            let range = port_range(file, pair);
            PortRef::Range {
                low: range.low.node,
                high: range.high.node,
                protocol: range.protocol,
            }
        }
        Rule::port_number => {
            let number = port_number(file, pair);
            PortRef::Number {
                port: number.number.node,
                protocol: number.protocol,
            }
        }
        Rule::all_ports => PortRef::All,
        _ => PortRef::Name(pair.as_str().to_string()),
    };
    Spanned::new(node, whole)
}
