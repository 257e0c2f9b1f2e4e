//! Kubernetes YAML read into typed objects: the reader under `knet import` (YAML a user
//! brings) and the reachability evaluator (`crate::analysis`, YAML knet wrote).
//!
//! In: a [`crate::source::Sources`] of YAML streams. Out: [`documents::Object`]s (kind,
//! namespace, name, the parsed value, a span), then [`objects::Input`], the fields that
//! matter to networking, typed. Codes: `E0401`-`E0404` (see [`documents`]), and `E0406`
//! for a NetworkPolicy of the wrong shape ([`shape`]). Every call to
//! serde_yaml's parser is in `documents.rs`, so that a maintained fork can replace it in
//! one place.

pub mod documents;
mod gateway;
pub mod label_lists;
pub mod objects;
mod shape;
