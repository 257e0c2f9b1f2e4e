//! `knet lsp` driven over JSON-RPC: the real binary, Content-Length framed messages on
//! its standard input and output, every read with a timeout so that a broken server
//! fails the test instead of hanging it.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const TIMEOUT: Duration = Duration::from_secs(20);

/// A running server and the messages it has sent.
struct Client {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    next_id: i64,
    /// Notifications read while waiting for something else.
    pending: Vec<Value>,
}

impl Client {
    fn start() -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_knet"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("knet lsp starts");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (sender, messages) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if sender.send(message).is_err() {
                    break;
                }
            }
        });
        Client {
            child,
            stdin,
            messages,
            next_id: 1,
            pending: Vec::new(),
        }
    }

    fn send(&mut self, message: &Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write");
        self.stdin.flush().expect("flush");
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and returns its result (panics on an error response).
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        let response = self.wait(|m| m["id"] == json!(id) && m.get("method").is_none());
        assert!(response.get("error").is_none(), "{method}: {response}");
        response["result"].clone()
    }

    /// The first message (pending or new) that satisfies `wanted`.
    fn wait(&mut self, wanted: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.pending.iter().position(&wanted) {
            return self.pending.remove(i);
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let message = self
                .messages
                .recv_timeout(left)
                .expect("the server answers in time");
            if wanted(&message) {
                return message;
            }
            self.pending.push(message);
        }
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        let message = self.wait(|m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
        });
        message["params"]["diagnostics"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}

/// One Content-Length framed message; `None` at the end of the stream.
fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(value) = line.strip_prefix("Content-Length: ") {
            length = value.parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

fn position(text: &str, needle: &str, delta: usize) -> Value {
    let offset = text.find(needle).expect("needle") + delta;
    let before = &text[..offset];
    let line = before.matches('\n').count();
    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1);
    json!({"line": line, "character": column})
}

const APPS: &str = "namespace shop {
  app api {
    port http 80 -> 8080
    port metrics 9090
  }
  app web {
    port http 80
  }
}
";

const FLOWS: &str = "namespace shop {
  allow web -> apii:http
}
";

#[test]
fn a_session_diagnoses_fixes_navigates_completes_and_formats() {
    let dir = scratch("lsp-session");
    std::fs::write(dir.join("apps.knet"), APPS).expect("write");
    std::fs::write(dir.join("flows.knet"), FLOWS).expect("write");
    let flows = uri(&dir.join("flows.knet"));
    let apps = uri(&dir.join("apps.knet"));
    let mut client = Client::start();
    let init = client.request(
        "initialize",
        json!({"processId": null, "rootUri": null, "capabilities": {}}),
    );
    assert_eq!(init["capabilities"]["hoverProvider"], json!(true));
    client.notify("initialized", json!({}));

    // An unknown app, with its code, and a quick fix from its "did you mean".
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": flows, "languageId": "knet", "version": 1, "text": FLOWS}}),
    );
    let diagnostics = client.diagnostics(&flows);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(diagnostics[0]["code"], "E0111");
    assert_eq!(diagnostics[0]["range"]["start"], position(FLOWS, "apii", 0));
    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": flows}, "range": diagnostics[0]["range"],
               "context": {"diagnostics": diagnostics}}),
    );
    let edit = &actions[0]["edit"]["changes"][&flows][0];
    assert_eq!(edit["newText"], "api", "{actions}");
    assert_eq!(edit["range"], diagnostics[0]["range"]);

    // Fixed: the diagnostics are cleared.
    let fixed = FLOWS.replace("apii", "api");
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": flows, "version": 2}, "contentChanges": [{"text": fixed}]}),
    );
    assert_eq!(client.diagnostics(&flows), Vec::<Value>::new());

    // Hover a port: its number and target.
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": flows}, "position": position(&fixed, "api:http", 5)}),
    );
    let text = hover["contents"]["value"].as_str().unwrap_or_default();
    assert!(text.contains("80/TCP → target 8080"), "{hover}");

    // The app is defined in the other file of the directory.
    let definition = client.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": flows}, "position": position(&fixed, "api:http", 1)}),
    );
    assert_eq!(definition[0]["uri"], apps.as_str(), "{definition}");
    assert_eq!(
        definition[0]["range"]["start"],
        position(APPS, "api", 0),
        "{definition}"
    );

    // Port names after `api:`, on a line that does not parse yet.
    let typing = "namespace shop {\n  allow web -> api:\n}\n";
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": flows, "version": 3}, "contentChanges": [{"text": typing}]}),
    );
    let broken = client.diagnostics(&flows);
    assert_eq!(broken[0]["code"], "E0001", "{broken:?}");
    let completion = client.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": flows}, "position": position(typing, "api:", 4)}),
    );
    let labels: Vec<&str> = completion
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|item| item["label"].as_str())
        .collect();
    assert_eq!(labels, ["http", "metrics"], "{completion}");

    // Formatting returns `knet fmt`'s text.
    let messy = "namespace shop {\nallow    web ->   api:http\n}\n";
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": flows, "version": 4}, "contentChanges": [{"text": messy}]}),
    );
    assert_eq!(client.diagnostics(&flows), Vec::<Value>::new());
    let edits = client.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": flows}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    let expected = knetc::fmt::format(knetc::source::FileId(0), messy).expect("the text formats");
    assert_ne!(expected, messy);
    assert_eq!(edits[0]["newText"], expected.as_str(), "{edits}");
    assert_eq!(
        edits[0]["range"]["start"],
        json!({"line": 0, "character": 0})
    );

    // Unknown documents and positions past the end get empty answers, not errors.
    let nowhere = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": "untitled:nothing"}, "position": {"line": 99, "character": 99}}),
    );
    assert_eq!(nowhere, Value::Null);
    let past = client.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": flows}, "position": {"line": 999, "character": 999}}),
    );
    assert_eq!(past, json!([]));

    // Closing clears the file's diagnostics; shutdown and exit end the server with 0.
    client.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": flows}}),
    );
    assert_eq!(client.diagnostics(&flows), Vec::<Value>::new());
    client.request("shutdown", Value::Null);
    client.notify("exit", Value::Null);
    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        if let Some(status) = client.child.try_wait().expect("wait") {
            break status;
        }
        assert!(Instant::now() < deadline, "the server exits after `exit`");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status}");
}
