//! The arguments of `knet`, with their `--help` text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// knet compiles `.knet` files, which describe apps, how they are exposed and which
/// flows between them are allowed, to Kubernetes Service, Ingress and NetworkPolicy YAML.
#[derive(Debug, Parser)]
#[command(name = "knet", version, about, long_about = None)]
#[command(
    after_help = "Exit status: 0 success, 1 the input has errors (or warnings with \
--deny-warnings), 2 usage or I/O error.\nDocumentation: see the knet book (book/ in the repository)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse and check the model; print diagnostics only
    Check {
        /// `.knet` files, or directories whose `*.knet` files (recursively) form one
        /// model; `-` reads one file from standard input
        #[arg(default_value = ".")]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        common: Common,
    },
    /// Compile the model to Kubernetes YAML (one multi-document stream)
    Build {
        /// `.knet` files, or directories whose `*.knet` files (recursively) form one
        /// model; `-` reads one file from standard input
        #[arg(default_value = ".")]
        paths: Vec<PathBuf>,
        /// Write the YAML to this file instead of standard output. The file is replaced
        /// whole (keeping its mode), or, on any error or signal, left as it was; a
        /// symbolic link's target is replaced; a device or FIFO is written through
        #[arg(short = 'o', long = "output", value_name = "OUT")]
        output: Option<PathBuf>,
        /// What `ingress` blocks become, replacing the `cluster` block's `routes`
        /// setting (an ingress's own `routes` line still wins): `ingress` (Ingresses) or
        /// `gateway-api` (HTTPRoutes, and the Gateways knet owns)
        #[arg(long, value_enum, value_name = "MODE")]
        routes: Option<Routes>,
        #[command(flatten)]
        common: Common,
    },
    /// The table of allowed connections: which endpoint may open connections to which,
    /// on which ports, computed from the emitted NetworkPolicies
    ///
    /// Endpoints are the apps' pods and representatives of everything else: the cluster
    /// DNS, the ingress controller, a pod of each namespace the policies name, a pod of
    /// some other namespace (`elsewhere/*`), each external's first address, `world`
    /// (an outside address) and `metadata` (169.254.169.254). A pod talking to itself
    /// is not listed.
    Matrix {
        /// `.knet` files, or directories whose `*.knet` files (recursively) form one
        /// model; `-` reads one file from standard input
        #[arg(default_value = ".")]
        paths: Vec<PathBuf>,
        /// `text`: one line per pair, `SRC => DST : PORTS`; `markdown`: a table; `csv`;
        /// `json`: the endpoints (pods with labels and ports, addresses), the namespaces
        /// and the connections, for other tools
        #[arg(long, value_enum, default_value_t = MatrixFormat::Text)]
        format: MatrixFormat,
        #[command(flatten)]
        common: Common,
    },
    /// The allowed connections as a graph: namespaces as clusters, apps as nodes, edges
    /// labelled with ports (only connections with an app of the model at one end)
    Graph {
        /// `.knet` files, or directories whose `*.knet` files (recursively) form one
        /// model; `-` reads one file from standard input
        #[arg(default_value = ".")]
        paths: Vec<PathBuf>,
        /// `dot`: Graphviz source; `mermaid`: a Mermaid flowchart (Markdown renders it);
        /// `svg`: laid out by Graphviz's `dot`, which must be on PATH
        #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
        format: GraphFormat,
        #[command(flatten)]
        common: Common,
    },
    /// Why a connection is allowed or denied: the policies and rules of each side, and
    /// the `allow` line that would open a denied connection
    Why {
        /// The source: an endpoint as `knet matrix` names it (`shop/frontend`, `world`,
        /// `monitoring/*`), or an app's name when only one namespace has it
        source: String,
        /// The destination, with an optional port: `shop/api`, `shop/api:http` (a port
        /// of the app), `world:443`, `shop/dns:53/udp`
        destination: String,
        /// `.knet` files, or directories whose `*.knet` files (recursively) form one
        /// model; `-` reads one file from standard input
        #[arg(default_value = ".")]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        common: Common,
    },
    /// Preview the rules a node would carry for the model
    #[command(subcommand)]
    Preview(Preview),
    /// Read Kubernetes YAML (Services, Ingresses, NetworkPolicies, Namespaces and the
    /// workloads that carry pod templates) and write knet that allows the same connections
    ///
    /// The knet is compiled before anything is written. An input a cluster could not hold
    /// (`E04xx`: not YAML, a name or a value the API server refuses, as `E0406` says of a
    /// label value `v1.2+build`) exits 1 and writes nothing.
    Import {
        /// YAML files, directories (every `*.yaml`, `*.yml` and `*.json` below them), or `-`
        /// for standard input (`helm template ... | knet import -`)
        #[arg(default_value = "-")]
        paths: Vec<PathBuf>,
        /// Write the knet to this file, or, when it is a directory, one `NAMESPACE.knet`
        /// file per namespace. Files are replaced whole, or left as they were
        #[arg(short = 'o', long = "output", value_name = "FILE|DIR")]
        output: Option<PathBuf>,
        /// Exit 0 even when something could not be expressed faithfully (the `W04xx`
        /// warnings say what)
        #[arg(long)]
        allow_lossy: bool,
        #[command(flatten)]
        common: Common,
    },
    /// Rewrite `.knet` files in the canonical layout (comments kept, meaning unchanged)
    Fmt {
        /// `.knet` files or directories (every `*.knet` below them); `-` formats standard
        /// input to standard output
        #[arg(default_value = ".")]
        paths: Vec<PathBuf>,
        /// Change nothing: print a unified diff of what would change, and exit 1 if
        /// anything would
        #[arg(long)]
        check: bool,
        #[command(flatten)]
        common: Common,
    },
    /// Run the language server: LSP over standard input and output, for editors
    ///
    /// The server publishes diagnostics as you type (the same codes, messages and help
    /// as `knet check`) for every `*.knet` file of the open file's directory, and offers
    /// hover (port numbers and targets, what an `allow` line emits, what a code in a
    /// `# knet: allow(...)` comment means), go to definition and find references (apps,
    /// externals, ports, namespaces, namespace groups), completion of peers and ports,
    /// formatting as `knet fmt` does, and "did you mean" suggestions as quick fixes.
    /// Configure the editor to start `knet lsp` for `.knet` files.
    Lsp,
    /// Print the long explanation of a diagnostic code, such as E0112
    Explain {
        /// The code, such as `E0112`
        code: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum Preview {
    /// The iptables rules of kube-proxy (iptables mode) for the Services, followed by
    /// kube-router's rules for the NetworkPolicies, on the node of the `cluster` block
    Iptables {
        /// `.knet` files, or directories whose `*.knet` files (recursively) form one
        /// model; `-` reads one file from standard input
        #[arg(default_value = ".")]
        paths: Vec<PathBuf>,
        /// `save`: what `iptables-save` prints on the node (diff it against a real node);
        /// `restore`: kube-proxy's own `iptables-restore` payload, byte for byte, in the
        /// canonical order of its tests, then kube-router's
        #[arg(long, value_enum, default_value_t = PreviewFormat::Save)]
        format: PreviewFormat,
        #[command(flatten)]
        common: Common,
    },
    /// The ipsets kube-router's rules match on, in `ipset save` format
    Ipset {
        /// `.knet` files, or directories whose `*.knet` files (recursively) form one
        /// model; `-` reads one file from standard input
        #[arg(default_value = ".")]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        common: Common,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MatrixFormat {
    Text,
    Markdown,
    Csv,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    Dot,
    Mermaid,
    Svg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PreviewFormat {
    Save,
    Restore,
}

/// `--routes`
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Routes {
    Ingress,
    GatewayApi,
}

impl Routes {
    pub fn mode(self) -> knetc::ir::RoutesMode {
        match self {
            Routes::Ingress => knetc::ir::RoutesMode::Ingress,
            Routes::GatewayApi => knetc::ir::RoutesMode::GatewayApi,
        }
    }
}

#[derive(Debug, Args)]
pub struct Common {
    /// When to colour diagnostics; `auto` colours a terminal unless NO_COLOR is set
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
    /// Treat warnings as errors (exit 1, write nothing)
    #[arg(long)]
    pub deny_warnings: bool,
    /// `human` renders diagnostics for people; `json` prints one JSON object per
    /// diagnostic per line on standard error; `sarif` prints one SARIF 2.1.0 log for
    /// code scanning: on standard output for `check` (`knet check --message-format
    /// sarif > knet.sarif`), on standard error for the other commands, whose standard
    /// output is their product
    #[arg(long, value_enum, default_value_t = MessageFormat::Human, value_name = "FORMAT")]
    pub message_format: MessageFormat,
    /// Print at most N diagnostics, then one line saying how many more there are
    /// (0: no limit). The exit status still counts them all
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub max_errors: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MessageFormat {
    Human,
    Json,
    Sarif,
}
