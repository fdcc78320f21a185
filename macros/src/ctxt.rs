//! Where the macros collect their errors, as serde_derive's `Ctxt` does: every rule that an
//! attribute or signature breaks is recorded, at its token, and all are reported together
//! rather than the first alone.

use std::cell::RefCell;
use std::fmt::Display;

use proc_macro2::TokenStream;
use quote::ToTokens;

/// The errors found while reading one annotated item.
pub(crate) struct Ctxt {
    /// `None` once checked: a context dropped unchecked is a bug in the macro.
    errors: RefCell<Option<Vec<syn::Error>>>,
}

impl Ctxt {
    pub(crate) fn new() -> Self {
        Self {
            errors: RefCell::new(Some(Vec::new())),
        }
    }

    /// Records an error at `span` (anything with a span: a token, a type, a `Span`).
    pub(crate) fn error_at(&self, span: proc_macro2::Span, message: impl Display) {
        self.syn_error(syn::Error::new(span, message));
    }

    /// Records an error that spans `tokens`.
    pub(crate) fn error_spanned_by(&self, tokens: impl ToTokens, message: impl Display) {
        self.syn_error(syn::Error::new_spanned(tokens.into_token_stream(), message));
    }

    /// Records an error a parser returned.
    pub(crate) fn syn_error(&self, error: syn::Error) {
        if let Some(errors) = self.errors.borrow_mut().as_mut() {
            errors.push(error);
        }
    }

    /// Ends the context: the errors recorded, if any.
    pub(crate) fn check(self) -> Result<(), Vec<syn::Error>> {
        let errors = self.errors.borrow_mut().take().unwrap_or_default();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

impl Drop for Ctxt {
    fn drop(&mut self) {
        if !std::thread::panicking() && self.errors.borrow().is_some() {
            panic!("a macro context was dropped without checking its errors");
        }
    }
}

/// The item as written, followed by the errors as `compile_error!` invocations at their spans:
/// the item still compiles, so that the errors are the only ones reported.
pub(crate) fn with_errors(item: impl ToTokens, errors: Vec<syn::Error>) -> TokenStream {
    let mut tokens = item.into_token_stream();
    tokens.extend(errors.into_iter().map(|error| error.to_compile_error()));
    tokens
}
