//! `knet lsp`: a Language Server Protocol server on standard input and output.
//!
//! What it supports: full text document sync; diagnostics published on open and change
//! (cleared on close) for the unit of the document, which is every `*.knet` file of its
//! directory read from disk with open documents' text in place of what is on disk, with
//! the same codes, spans, messages, notes and help as `knet check` (secondary labels as
//! related information, UTF-16 columns); hover (a port's number, protocol and target, an
//! app's labels and ports, what an `allow` line emits, a diagnostic code's summary in a
//! comment); go to definition and find references for apps, externals, extra Services,
//! ports, namespaces (one definition per block) and namespace groups, across the files
//! of the directory; completion of peers, `NS/` prefixes, apps and ports; formatting
//! with `knet fmt`'s printer (no edit for a file with syntax errors); and the "did you
//! mean" suggestions as quick-fix code actions.
//!
//! Built on `lsp-server` and `lsp-types` (rust-analyzer's): synchronous, no async
//! runtime. The language logic is `knetc::ide`; this module reads files ([`workspace`]),
//! converts positions and diagnostics ([`convert`]) and speaks the protocol
//! ([`handlers`] and the loop here).

mod convert;
mod handlers;
mod workspace;

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, Exit, Notification as _,
    PublishDiagnostics,
};
use lsp_types::request::{
    CodeActionRequest, Completion, Formatting, GotoDefinition, HoverRequest, References,
    Request as _,
};
use lsp_types::{
    CodeActionKind, CodeActionOptions, CodeActionProviderCapability, CompletionOptions,
    HoverProviderCapability, OneOf, PositionEncodingKind, PublishDiagnosticsParams,
    ServerCapabilities, TextDocumentSyncCapability, TextDocumentSyncKind, Uri,
};
use serde::de::DeserializeOwned;
use serde::Serialize;

use workspace::Workspace;

/// What the server can do, as `initialize` announces it.
pub fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(PositionEncodingKind::UTF16),
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some([":", "/", ",", "{", ">"].map(String::from).to_vec()),
            ..Default::default()
        }),
        document_formatting_provider: Some(OneOf::Left(true)),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
            ..Default::default()
        })),
        ..Default::default()
    }
}

/// Serves one client until it says `exit`; the exit status (0 after `shutdown`).
pub fn run() -> i32 {
    let (connection, io_threads) = Connection::stdio();
    let status = match serve(&connection) {
        Ok(status) => status,
        Err(message) => {
            eprintln!("error: knet lsp: {message}");
            1
        }
    };
    drop(connection);
    if let Err(error) = io_threads.join() {
        eprintln!("error: knet lsp: {error}");
    }
    status
}

fn serve(connection: &Connection) -> Result<i32, String> {
    let capabilities = serde_json::to_value(capabilities()).map_err(|e| e.to_string())?;
    connection
        .initialize(capabilities)
        .map_err(|e| e.to_string())?;
    let mut server = Server {
        connection,
        workspace: Workspace::default(),
    };
    for message in &connection.receiver {
        match message {
            Message::Request(request) => {
                if connection
                    .handle_shutdown(&request)
                    .map_err(|e| e.to_string())?
                {
                    return Ok(0);
                }
                server.request(request);
            }
            Message::Notification(notification) if notification.method == Exit::METHOD => {
                // `exit` without `shutdown` first.
                return Ok(1);
            }
            Message::Notification(notification) => server.notification(notification),
            Message::Response(_) => {}
        }
    }
    Ok(1)
}

struct Server<'c> {
    connection: &'c Connection,
    workspace: Workspace,
}

impl Server<'_> {
    fn send(&self, message: Message) {
        // The writer thread is gone only when the client is: nothing left to tell.
        let _ = self.connection.sender.send(message);
    }

    fn request(&mut self, request: Request) {
        let workspace = &mut self.workspace;
        let response = match request.method.as_str() {
            HoverRequest::METHOD => call(request, |p| handlers::hover(workspace, p)),
            GotoDefinition::METHOD => call(request, |p| handlers::definition(workspace, p)),
            References::METHOD => call(request, |p| handlers::references(workspace, p)),
            Completion::METHOD => call(request, |p| handlers::completion(workspace, p)),
            Formatting::METHOD => call(request, |p| handlers::formatting(workspace, p)),
            CodeActionRequest::METHOD => call(request, |p| handlers::code_action(workspace, p)),
            _ => Response::new_err(
                request.id,
                ErrorCode::MethodNotFound as i32,
                format!("knet lsp does not handle `{}`", request.method),
            ),
        };
        self.send(response.into());
    }

    fn notification(&mut self, notification: Notification) {
        match notification.method.as_str() {
            DidOpenTextDocument::METHOD => {
                if let Some(params) = params::<lsp_types::DidOpenTextDocumentParams>(notification) {
                    let uri = params.text_document.uri;
                    self.workspace.open(uri.clone(), params.text_document.text);
                    self.publish(&uri, None);
                }
            }
            DidChangeTextDocument::METHOD => {
                let Some(params) = params::<lsp_types::DidChangeTextDocumentParams>(notification)
                else {
                    return;
                };
                let uri = params.text_document.uri;
                // Full sync: the last change holds the whole text.
                let Some(change) = params.content_changes.into_iter().last() else {
                    return;
                };
                if self.workspace.change(&uri, change.text) {
                    self.publish(&uri, None);
                }
            }
            DidCloseTextDocument::METHOD => {
                if let Some(params) = params::<lsp_types::DidCloseTextDocumentParams>(notification)
                {
                    let uri = params.text_document.uri;
                    let others_open = self.workspace.close(&uri);
                    self.clear(&uri);
                    if others_open {
                        self.publish(&uri, Some(&uri));
                    }
                }
            }
            _ => {}
        }
    }

    /// Publishes the diagnostics of every file of the document's unit, except `skip`.
    fn publish(&mut self, uri: &Uri, skip: Option<&Uri>) {
        for (file, diagnostics) in handlers::diagnostics(&mut self.workspace, uri) {
            if skip.is_some_and(|skip| skip.as_str() == file.as_str()) {
                continue;
            }
            self.notify_diagnostics(file, diagnostics);
        }
    }

    fn clear(&self, uri: &Uri) {
        self.notify_diagnostics(uri.clone(), Vec::new());
    }

    fn notify_diagnostics(&self, uri: Uri, diagnostics: Vec<lsp_types::Diagnostic>) {
        let params = PublishDiagnosticsParams::new(uri, diagnostics, None);
        self.send(Notification::new(PublishDiagnostics::METHOD.to_string(), params).into());
    }
}

/// Answers a request: its parameters decoded and handed to `handle`, or an error saying
/// why they could not be.
fn call<P: DeserializeOwned, R: Serialize>(
    request: Request,
    handle: impl FnOnce(P) -> R,
) -> Response {
    match serde_json::from_value::<P>(request.params) {
        Ok(params) => Response::new_ok(request.id, handle(params)),
        Err(error) => Response::new_err(
            request.id,
            ErrorCode::InvalidParams as i32,
            error.to_string(),
        ),
    }
}

/// A notification's parameters, or `None` when they do not decode (ignored, as the
/// protocol asks for notifications).
fn params<P: DeserializeOwned>(notification: Notification) -> Option<P> {
    serde_json::from_value(notification.params).ok()
}
