//! One function per request: the protocol's parameters in, the protocol's answer out,
//! with [`knetc::ide`] in between. A request about a document the server cannot place
//! (an unknown URI, a file it cannot read) gets an empty answer, never an error.

use std::collections::HashMap;

use knetc::ide::CompletionKind;
use knetc::source::{FileId, Span};
use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams, CompletionItem,
    CompletionItemKind, CompletionParams, CompletionResponse, CompletionTextEdit,
    DocumentFormattingParams, GotoDefinitionParams, GotoDefinitionResponse, Hover, HoverContents,
    HoverParams, Location, MarkupContent, MarkupKind, Position, Range, ReferenceParams,
    TextDocumentPositionParams, TextEdit, Uri, WorkspaceEdit,
};

use super::convert;
use super::workspace::{Unit, Workspace};

/// The unit, file and byte offset of a position in a document.
fn locate<'w>(
    workspace: &'w mut Workspace,
    at: &TextDocumentPositionParams,
) -> Option<(&'w Unit, FileId, usize)> {
    let (unit, file) = workspace.unit(&at.text_document.uri)?;
    let offset = convert::offset(unit.sources.get(file)?, at.position);
    Some((unit, file, offset))
}

fn locations(unit: &Unit, spans: Vec<Span>) -> Vec<Location> {
    spans
        .into_iter()
        .filter_map(|span| {
            Some(Location::new(
                unit.uri_of(span)?,
                convert::range(&unit.sources, span),
            ))
        })
        .collect()
}

pub fn hover(workspace: &mut Workspace, params: HoverParams) -> Option<Hover> {
    let (unit, file, offset) = locate(workspace, &params.text_document_position_params)?;
    let text = unit.analysis.hover(&unit.sources, file, offset)?;
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: text,
        }),
        range: None,
    })
}

pub fn definition(
    workspace: &mut Workspace,
    params: GotoDefinitionParams,
) -> Option<GotoDefinitionResponse> {
    let (unit, file, offset) = locate(workspace, &params.text_document_position_params)?;
    let spans = unit.analysis.definition(file, offset);
    Some(GotoDefinitionResponse::Array(locations(unit, spans)))
}

pub fn references(workspace: &mut Workspace, params: ReferenceParams) -> Option<Vec<Location>> {
    let (unit, file, offset) = locate(workspace, &params.text_document_position)?;
    let mut spans = unit.analysis.references(file, offset);
    if !params.context.include_declaration {
        let definitions = unit.analysis.definition(file, offset);
        spans.retain(|span| !definitions.contains(span));
    }
    Some(locations(unit, spans))
}

pub fn completion(
    workspace: &mut Workspace,
    params: CompletionParams,
) -> Option<CompletionResponse> {
    let (unit, file, offset) = locate(workspace, &params.text_document_position)?;
    let items = unit
        .analysis
        .completions(&unit.sources, file, offset)
        .into_iter()
        .map(|c| CompletionItem {
            kind: Some(match c.kind {
                CompletionKind::App => CompletionItemKind::MODULE,
                CompletionKind::External => CompletionItemKind::INTERFACE,
                CompletionKind::Port => CompletionItemKind::FIELD,
                CompletionKind::Namespace | CompletionKind::Group => CompletionItemKind::FOLDER,
                CompletionKind::Keyword => CompletionItemKind::KEYWORD,
            }),
            detail: c.detail,
            text_edit: Some(CompletionTextEdit::Edit(TextEdit::new(
                convert::range(&unit.sources, c.replace),
                c.label.clone(),
            ))),
            label: c.label,
            ..Default::default()
        })
        .collect();
    Some(CompletionResponse::Array(items))
}

/// `knet fmt`'s text as one edit of the whole document; no edit when the document is
/// already formatted or has syntax errors.
pub fn formatting(
    workspace: &mut Workspace,
    params: DocumentFormattingParams,
) -> Option<Vec<TextEdit>> {
    let (unit, file) = workspace.unit(&params.text_document.uri)?;
    let source = unit.sources.get(file)?;
    if source.invalid_utf8_at.is_some() {
        return Some(Vec::new());
    }
    let Ok(formatted) = knetc::fmt::format(file, &source.text) else {
        return Some(Vec::new());
    };
    if formatted == source.text {
        return Some(Vec::new());
    }
    let end = convert::position(source, source.text.len());
    Some(vec![TextEdit::new(
        Range::new(Position::new(0, 0), end),
        formatted,
    )])
}

/// The quick fixes of the diagnostics in the requested range.
pub fn code_action(
    workspace: &mut Workspace,
    params: CodeActionParams,
) -> Option<Vec<CodeActionOrCommand>> {
    let uri = params.text_document.uri;
    let (unit, file) = workspace.unit(&uri)?;
    let source = unit.sources.get(file)?;
    let start = convert::offset(source, params.range.start);
    let end = convert::offset(source, params.range.end);
    let diagnostics = unit.analysis.diagnostics();
    let actions = unit
        .analysis
        .quick_fixes(&unit.sources)
        .into_iter()
        .filter(|fix| fix.span.file() == file && fix.span.start() <= end && start <= fix.span.end())
        .filter_map(|fix| {
            let diagnostic = diagnostics.get(fix.diagnostic)?;
            let edit = TextEdit::new(convert::range(&unit.sources, fix.span), fix.replacement);
            Some(CodeActionOrCommand::CodeAction(CodeAction {
                title: fix.title,
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![convert::diagnostic(
                    &unit.sources,
                    diagnostic,
                    |span| unit.uri_of(span),
                )]),
                edit: Some(WorkspaceEdit {
                    changes: Some(HashMap::from([(uri.clone(), vec![edit])])),
                    ..Default::default()
                }),
                is_preferred: Some(true),
                ..Default::default()
            }))
        })
        .collect();
    Some(actions)
}

/// The diagnostics of every file of a document's unit, by URI (empty lists included,
/// so that fixed files are cleared).
pub fn diagnostics(workspace: &mut Workspace, uri: &Uri) -> Vec<(Uri, Vec<lsp_types::Diagnostic>)> {
    let Some((unit, _)) = workspace.unit(uri) else {
        return Vec::new();
    };
    let mut by_file: Vec<(Uri, Vec<lsp_types::Diagnostic>)> = unit
        .files()
        .map(|(_, uri)| (uri.clone(), Vec::new()))
        .collect();
    for diagnostic in unit.analysis.diagnostics() {
        let file = diagnostic.primary.span.file();
        if let Some((_, list)) = by_file.get_mut(file.0) {
            list.push(convert::diagnostic(&unit.sources, diagnostic, |span| {
                unit.uri_of(span)
            }));
        }
    }
    by_file
}
