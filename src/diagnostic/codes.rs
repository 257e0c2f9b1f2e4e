//! The registry of diagnostic codes.
//!
//! Codes are stable: a code is never reused for another meaning, and a retired code stays
//! listed. Ranges: `E00xx` syntax, `E01xx` names, `E02xx` values, `E03xx` rules across
//! objects, `W0xxx` warnings. Every code has a page `book/src/codes/CODE.md`; the test
//! `tests/integration/codes.rs` keeps this list, the pages and the UI snapshots in sync.

macro_rules! registry {
    ($($variant:ident = $code:literal: $summary:literal,)*) => {
        /// A stable diagnostic code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $(
                #[doc = $summary]
                $variant,
            )*
        }

        impl Code {
            /// Every code, in registry order.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The code as written: `E0102`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $code,)*
                }
            }

            /// A one-line summary (the title of the code's book page).
            pub fn summary(self) -> &'static str {
                match self {
                    $(Code::$variant => $summary,)*
                }
            }

            /// The code's book page, `book/src/codes/CODE.md`, built into the binary
            /// (a code without a page does not compile).
            pub fn page(self) -> &'static str {
                match self {
                    $(Code::$variant => include_str!(concat!(
                        env!("CARGO_MANIFEST_DIR"), "/book/src/codes/", $code, ".md"
                    )),)*
                }
            }
        }
    };
}

registry! {
    // ── E00xx: syntax ──
    Syntax = "E0001": "syntax error",
    NotUtf8 = "E0002": "a source file is not valid UTF-8",

    // ── E01xx: names ──
    InvalidNamespaceName = "E0101": "invalid namespace name",
    InvalidServiceName = "E0102": "invalid app or external name",
    InvalidIngressName = "E0103": "invalid ingress name",
    InvalidPortName = "E0104": "invalid port name",
    InvalidLabelKey = "E0105": "invalid label key",
    InvalidLabelValue = "E0106": "invalid label value",
    InvalidAnnotationKey = "E0107": "invalid annotation key",
    InvalidSecretName = "E0108": "invalid TLS secret name",
    InvalidClassName = "E0109": "invalid ingress class name",
    InvalidNodeName = "E0110": "invalid node name",
    UnknownPeer = "E0111": "unknown app or external",
    UnknownPort = "E0112": "unknown port",
    UnknownNamespace = "E0113": "namespace not declared in knet",
    DuplicateName = "E0114": "name defined twice",
    DuplicatePortName = "E0115": "port name defined twice",
    DuplicateLabelKey = "E0116": "label key given twice",
    ReservedName = "E0117": "reserved name",
    DuplicateObjectName = "E0118": "two generated objects with one name",
    PortNameRequired = "E0119": "unnamed port on an app with several ports",
    NamespaceKindConflict = "E0121": "one name for a managed and an unmanaged namespace, or a group",

    // ── E02xx: values ──
    UnknownProtocol = "E0201": "unknown protocol",
    UnknownServiceType = "E0202": "unknown service type",
    UnknownTrafficPolicy = "E0203": "unknown traffic policy",
    UnknownSessionAffinity = "E0204": "unknown session affinity",
    PortOutOfRange = "E0205": "port number out of range",
    NodePortOutOfRange = "E0206": "node port outside the cluster's node-port range",
    InvalidIp = "E0207": "invalid IP address",
    InvalidCidr = "E0208": "invalid CIDR",
    InvalidExcept = "E0209": "`except` is not a strict subset of its CIDR",
    InvalidExternalIp = "E0210": "address not allowed as an external IP",
    InvalidIngressHost = "E0211": "invalid ingress host",
    InvalidExternalHost = "E0212": "invalid external host",
    InvalidPath = "E0213": "invalid path for its path type",
    InvalidAffinityTimeout = "E0214": "session-affinity timeout out of range",
    InvalidPortRange = "E0215": "invalid port range",
    InvalidMasqueradeMark = "E0216": "invalid masquerade mark",
    NumberTooLarge = "E0217": "number out of range",
    PortNumberForName = "E0218": "a port number where a port name is required",
    InvalidPolicyVersion = "E0219": "invalid policy version",
    TooManyReplicas = "E0220": "replicas above the preview maximum",

    // ── E03xx: rules across objects ──
    SecondClusterBlock = "E0301": "more than one `cluster` block",
    SettingTwice = "E0302": "setting given twice",
    ConflictingDefaults = "E0303": "conflicting namespace defaults",
    PortsOnSource = "E0304": "ports on a flow source",
    ExternalWithoutCidr = "E0305": "flow to an external without `cidr`",
    AmbiguousBackendPort = "E0306": "route to an app without naming one of its ports",
    BackendWithoutService = "E0307": "route to an app that has no Service",
    DuplicateRoute = "E0308": "two routes for one host, path type and path",
    DuplicateServicePort = "E0309": "two ports with one number and protocol",
    DuplicateNodePort = "E0310": "node port used twice",
    NodePortNotExposed = "E0311": "`node-port` on a Service that is not exposed on nodes",
    SourceRangesNotLoadBalancer = "E0312": "`source-ranges` on a Service that is not a load balancer",
    TrafficPolicyNotExternal = "E0313": "`traffic-policy` on a Service that is not externally accessible",
    HealthCheckNodePortMisplaced = "E0314": "`health-check-node-port` without a local load balancer",
    HeadlessExposed = "E0315": "headless Service with node ports",
    ClusterIpNotAllowed = "E0316": "`cluster-ip` on a Service that cannot have one",
    ReplicasAndEndpoints = "E0317": "both `replicas` and `endpoint`",
    EmptyIngress = "E0318": "ingress with no route",
    FlowOutsideKnet = "E0319": "flow with no side in a knet namespace",
    ServiceWithoutPorts = "E0320": "Service settings on an app without ports",
    DuplicateHost = "E0321": "host block given twice",
    IngressClassMismatch = "E0322": "`kubernetes.io/ingress.class` annotation disagrees with `class`",
    AnnotationsTooLong = "E0323": "annotations larger than 256 KiB",
    ClusterIpOutsideRange = "E0324": "`cluster-ip` outside the service CIDR",
    DuplicateClusterIp = "E0325": "ClusterIP pinned twice",
    PortOnPeerWithoutPorts = "E0326": "port on a peer that has no ports",
    UnreachablePeerKind = "E0327": "peer that cannot be a flow side here",
    ServiceCidrTooSmall = "E0328": "service CIDR too small for the Services",
    PodCidrTooSmall = "E0329": "pod CIDR too small for the pods",
    NodePortRangeTooSmall = "E0330": "node-port range too small for the Services",
    RouteToExternal = "E0331": "ingress route to an external",
    UnmanagedContent = "E0336": "something knet would write, in an unmanaged namespace",
    GroupWithoutLabels = "E0337": "namespace group without labels",
    AllPortsNotAlone = "E0338": "`*` with other ports",
    ExpectationFailed = "E0339": "an `expect` line the emitted policies contradict",
    GatewayWithoutClass = "E0340": "Gateway without a class",
    GatewayClassConflict = "E0341": "two classes for one Gateway",
    ListenerConflict = "E0342": "one TLS host with two certificates on one Gateway",
    RouteTooLarge = "E0343": "HTTPRoute over the Gateway API's limits",
    TooManyListeners = "E0344": "Gateway with more than 64 listeners",
    GatewayApiPath = "E0345": "path the Gateway API rejects",
    ExpectationTarget = "E0346": "an `expect` line naming what it cannot check",
    GatewayNameTooLong = "E0347": "Gateway name too long for the names knet derives from it",
    MixedAddressFamilies = "E0348": "cluster addresses of two IP families",

    // ── E04xx: `knet import`'s input ──
    InvalidYaml = "E0401": "input that is not YAML, or not a Kubernetes object",
    UnknownApiVersion = "E0402": "object at an API version knet does not read",
    DuplicateObject = "E0403": "the same object twice in the input",
    ObjectWithoutName = "E0404": "object without a name",
    InvalidObjectName = "E0405": "object with a name the API server refuses",
    InvalidObjectValue = "E0406": "object with a value that knet, like the API server, refuses",
    // ── W00xx: about the diagnostics themselves ──
    UnusedAllow = "W0001": "`knet: allow` comment that silences nothing",

    // ── W01xx: flows and policies ──
    WorldIncludesMetadata = "W0101": "egress to `world` reaches the cloud metadata address",
    LabelsSelectOtherApp = "W0102": "an app's labels also select another app's pods",
    CidrOverlapsCluster = "W0103": "CIDR overlaps the pod or service CIDR",
    ClientAddressLost = "W0104": "client address replaced before the policy sees it",
    FlowNotIsolated = "W0105": "flow in a direction the namespace does not isolate",
    RedundantFlow = "W0106": "flow already allowed by another flow",
    UnusedPort = "W0107": "port that nothing may reach",
    UnreachableApp = "W0108": "app that nothing may reach",
    DnsEgressIsolated = "W0109": "cluster DNS namespace isolates egress",
    HostIsAddress = "W0110": "external `host` that is an IP address",

    // ── W02xx: ingress ──
    ImplementationSpecificPath = "W0201": "`implementation-specific` path type",
    ShadowedRoute = "W0202": "route shadowed by another route",
    TlsHostWithoutRoute = "W0203": "TLS host with no route",
    HostlessRuleWithTls = "W0204": "rule without host on an ingress with TLS",
    UnusedForGateway = "W0205": "ingress line that Gateway API output does not use",
    // ── W04xx: what `knet import` cannot say ──
    ImportNotExpressible = "W0401": "policy rule that knet cannot say",
    ImportPortRange = "W0402": "port range to an app",
    ImportOpens = "W0403": "route or exposed Service that opens what the input's policies close",
    ImportServiceChanged = "W0404": "Service that knet writes differently",
    ImportHttpRouteLoss = "W0405": "HTTPRoute part that an `ingress` block cannot say",
}

impl Code {
    /// Warnings are `W` codes; everything else is an error.
    pub fn severity(self) -> super::Severity {
        if self.as_str().starts_with('W') {
            super::Severity::Warning
        } else {
            super::Severity::Error
        }
    }

    pub fn parse(text: &str) -> Option<Code> {
        Code::ALL
            .iter()
            .copied()
            .find(|c| c.as_str().eq_ignore_ascii_case(text))
    }
}
