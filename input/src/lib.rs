//! The input side of the security-context policy, shared by the checker
//! (`security-context-checker`), the e2e tests and the browser playground, so that all of them
//! read the same manifest the same way:
//!
//! - [`manifest`]: what a document is (a plain object, a `List`, an AdmissionRequest or an
//!   AdmissionReview) and the [`manifest::Entry`] (an AdmissionRequest) for each object in it;
//! - [`request`]: the one builder of the AdmissionRequests the API server would send, with the
//!   requester ([`request::Requester`]: `userInfo.username` and `groups`) as an input;
//! - [`locate`]: where a field path is in the text (line and column, document by document,
//!   with the Helm template a document came from), recorded by the reader that composes each
//!   document, for the checker's and the playground's findings;
//! - [`image_users`]: image-user tables (image → the image config's `User`), answered as the
//!   policy's OCI lookup would be;
//! - [`yaml`] (feature `yaml`): YAML read as kubectl reads it (YAML 1.1, merge keys applied,
//!   documents YAML readers disagree on refused), the one YAML reader of the checker and the
//!   playground.
//!
//! Only `serde_json` is required; the YAML reader (`saphyr-parser`) comes with the feature.

pub mod image_users;
pub mod locate;
pub mod manifest;
pub mod request;
mod value;
#[cfg(feature = "yaml")]
pub mod yaml;

pub use image_users::ImageUserTable;
pub use manifest::{Document, Entry, InputError};
pub use request::{AdmissionRequestBuilder, DEFAULT_NAMESPACE, Requester, create_request};
