//! Checking a layer's arguments: counts, names and literal types, with
//! rustc-style spanned errors ("dense: expected 1 argument, found 2").

use crate::ast::LayerDef;
use quote::ToTokens;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, Lit};

/// The arguments of one layer, checked against what its kind accepts.
pub struct Args<'a> {
    kind: &'static str,
    positional: Vec<&'a Expr>,
    named: Vec<(String, &'a Expr)>,
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

impl<'a> Args<'a> {
    /// Checks that `def` has exactly `positional.len()` positional arguments
    /// and only named arguments from `named`, each at most once.
    pub fn check(
        kind: &'static str,
        def: &'a LayerDef,
        positional: &[&str],
        named: &[&str],
    ) -> syn::Result<Self> {
        let mut errors: Option<syn::Error> = None;
        let mut push = |e: syn::Error| match &mut errors {
            Some(all) => all.combine(e),
            None => errors = Some(e),
        };
        let mut pos = Vec::new();
        let mut nam: Vec<(String, &Expr)> = Vec::new();
        for arg in &def.args {
            match &arg.key {
                None => {
                    if !nam.is_empty() {
                        push(syn::Error::new(
                            arg.value.span(),
                            format!("{kind}: positional argument after a named argument"),
                        ));
                    }
                    pos.push(&arg.value);
                }
                Some(key) => {
                    let k = key.to_string();
                    if !named.contains(&k.as_str()) {
                        let expected = match named.len() {
                            0 => "it takes no named arguments".to_string(),
                            1 => format!("expected `{}`", named[0]),
                            _ => format!("expected one of {}", quoted_list(named)),
                        };
                        push(syn::Error::new(
                            key.span(),
                            format!("{kind}: unknown argument `{k}`, {expected}"),
                        ));
                    } else if nam.iter().any(|(n, _)| *n == k) {
                        push(syn::Error::new(
                            key.span(),
                            format!("{kind}: duplicate argument `{k}`"),
                        ));
                    } else {
                        nam.push((k, &arg.value));
                    }
                }
            }
        }
        if pos.len() != positional.len() {
            let expected = match positional.len() {
                0 if named.is_empty() => "no arguments".to_string(),
                0 => "no positional arguments".to_string(),
                n => format!("{n} argument{} ({})", plural(n), quoted_list(positional)),
            };
            let span = match pos.get(positional.len()) {
                Some(extra) => extra.span(),
                None => def.parens.unwrap_or_else(|| def.kind.span()),
            };
            push(syn::Error::new(
                span,
                format!("{kind}: expected {expected}, found {}", pos.len()),
            ));
        }
        match errors {
            Some(e) => Err(e),
            None => Ok(Args {
                kind,
                positional: pos,
                named: nam,
            }),
        }
    }

    /// The layer kind's name, for messages.
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// The `i`-th positional argument as a positive integer.
    pub fn positive(&self, i: usize, what: &str) -> syn::Result<usize> {
        let expr = self.positional[i];
        let n = int_lit(self.kind, expr, what)?;
        if n == 0 {
            return Err(syn::Error::new(
                expr.span(),
                format!("{}: {what} must be at least 1, found 0", self.kind),
            ));
        }
        Ok(n)
    }

    /// The `i`-th positional argument as a float (an integer literal is accepted).
    pub fn float(&self, i: usize, what: &str) -> syn::Result<(f32, &'a Expr)> {
        let expr = self.positional[i];
        let value = float_lit(self.kind, expr, what)?;
        if !value.is_finite() {
            return Err(syn::Error::new(
                expr.span(),
                format!("{}: `{what}` must be finite", self.kind),
            ));
        }
        Ok((value, expr))
    }

    /// The `i`-th positional argument as `k` or `(kh, kw)`, each at least 1.
    pub fn positive_pair(&self, i: usize, what: &str) -> syn::Result<(usize, usize)> {
        pair(self.kind, self.positional[i], what, 1)
    }

    /// A named argument as `n` or `(nh, nw)`, each at least `min`; `default` when absent.
    pub fn named_pair(
        &self,
        key: &str,
        default: (usize, usize),
        min: usize,
    ) -> syn::Result<(usize, usize)> {
        match self.named.iter().find(|(k, _)| k == key) {
            None => Ok(default),
            Some((_, expr)) => pair(self.kind, expr, key, min),
        }
    }

    /// A named argument's expression, if given (to point an error that
    /// involves several arguments at it).
    pub fn named_expr(&self, key: &str) -> Option<&'a Expr> {
        self.named.iter().find(|(k, _)| k == key).map(|(_, e)| *e)
    }

    /// A named integer argument, at least `min`; `default` when absent.
    pub fn named_int(&self, key: &str, default: usize, min: usize) -> syn::Result<usize> {
        match self.named.iter().find(|(k, _)| k == key) {
            None => Ok(default),
            Some((_, expr)) => {
                let n = int_lit(self.kind, expr, key)?;
                at_least(self.kind, expr, key, n, min)
            }
        }
    }

    /// A named float argument in `range`; `default` when absent.
    pub fn named_float(
        &self,
        key: &str,
        default: f32,
        range: core::ops::RangeInclusive<f32>,
    ) -> syn::Result<f32> {
        let Some((_, expr)) = self.named.iter().find(|(k, _)| k == key) else {
            return Ok(default);
        };
        let value = float_lit(self.kind, expr, key)?;
        if !range.contains(&value) || value == 0.0 {
            return Err(syn::Error::new(
                expr.span(),
                format!(
                    "{}: `{key}` must be in ({}, {}], found `{}`",
                    self.kind,
                    range.start(),
                    range.end(),
                    expr.to_token_stream()
                ),
            ));
        }
        Ok(value)
    }

    /// A named finite float argument (an integer literal is accepted), with
    /// its expression for further checks; `default` and `None` when absent.
    pub fn named_finite(&self, key: &str, default: f32) -> syn::Result<(f32, Option<&'a Expr>)> {
        let Some(&(_, expr)) = self.named.iter().find(|(k, _)| k == key) else {
            return Ok((default, None));
        };
        let value = float_lit(self.kind, expr, key)?;
        if !value.is_finite() {
            return Err(syn::Error::new(
                expr.span(),
                format!(
                    "{}: `{key}` must be finite, found `{}`",
                    self.kind,
                    expr.to_token_stream()
                ),
            ));
        }
        Ok((value, Some(expr)))
    }

    /// A named string-literal argument, one of `allowed` (returned as the
    /// entry of `allowed`); `default` when absent.
    pub fn named_choice(
        &self,
        key: &str,
        default: &'static str,
        allowed: &[&'static str],
    ) -> syn::Result<&'static str> {
        let Some((_, expr)) = self.named.iter().find(|(k, _)| k == key) else {
            return Ok(default);
        };
        if let Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) = expr
        {
            if let Some(&choice) = allowed.iter().find(|&&a| a == s.value()) {
                return Ok(choice);
            }
        }
        let quoted: Vec<String> = allowed.iter().map(|a| format!("{a:?}")).collect();
        let quoted: Vec<&str> = quoted.iter().map(String::as_str).collect();
        Err(syn::Error::new(
            expr.span(),
            format!(
                "{}: expected {} for `{key}`, found `{}`",
                self.kind,
                quoted_list(&quoted),
                expr.to_token_stream()
            ),
        ))
    }

    /// A named boolean argument, or `default`.
    pub fn flag(&self, key: &str, default: bool) -> syn::Result<bool> {
        match self.named.iter().find(|(k, _)| k == key) {
            None => Ok(default),
            Some((
                _,
                Expr::Lit(ExprLit {
                    lit: Lit::Bool(b), ..
                }),
            )) => Ok(b.value),
            Some((_, expr)) => Err(syn::Error::new(
                expr.span(),
                format!(
                    "{}: expected `true` or `false` for `{key}`, found `{}`",
                    self.kind,
                    expr.to_token_stream()
                ),
            )),
        }
    }
}

fn at_least(kind: &str, expr: &Expr, what: &str, n: usize, min: usize) -> syn::Result<usize> {
    if n < min {
        return Err(syn::Error::new(
            expr.span(),
            format!("{kind}: {what} must be at least {min}, found {n}"),
        ));
    }
    Ok(n)
}

/// `n` (both) or `(a, b)`.
fn pair(kind: &str, expr: &Expr, what: &str, min: usize) -> syn::Result<(usize, usize)> {
    match expr {
        Expr::Tuple(t) if t.elems.len() == 2 => {
            let a = at_least(
                kind,
                &t.elems[0],
                what,
                int_lit(kind, &t.elems[0], what)?,
                min,
            )?;
            let b = at_least(
                kind,
                &t.elems[1],
                what,
                int_lit(kind, &t.elems[1], what)?,
                min,
            )?;
            Ok((a, b))
        }
        Expr::Tuple(_) | Expr::Paren(_) => Err(syn::Error::new(
            expr.span(),
            format!(
                "{kind}: expected an integer or a pair `(h, w)` for `{what}`, found `{}`",
                expr.to_token_stream()
            ),
        )),
        _ => {
            let n = at_least(kind, expr, what, int_lit(kind, expr, what)?, min)?;
            Ok((n, n))
        }
    }
}

/// A float or integer literal, optionally negated.
fn float_lit(kind: &str, expr: &Expr, what: &str) -> syn::Result<f32> {
    let (negative, lit) = match expr {
        Expr::Unary(syn::ExprUnary {
            op: syn::UnOp::Neg(_),
            expr: inner,
            ..
        }) => (true, &**inner),
        _ => (false, expr),
    };
    let value = match lit {
        Expr::Lit(ExprLit {
            lit: Lit::Float(f), ..
        }) => f.base10_parse::<f32>()?,
        Expr::Lit(ExprLit {
            lit: Lit::Int(n), ..
        }) => n.base10_parse::<f32>()?,
        _ => {
            return Err(syn::Error::new(
                expr.span(),
                format!(
                    "{kind}: expected a float literal for `{what}`, found `{}`",
                    expr.to_token_stream()
                ),
            ))
        }
    };
    Ok(if negative { -value } else { value })
}

fn int_lit(kind: &str, expr: &Expr, what: &str) -> syn::Result<usize> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Int(n), ..
        }) => n.base10_parse::<usize>(),
        _ => Err(syn::Error::new(
            expr.span(),
            format!(
                "{kind}: expected an integer literal for `{what}`, found `{}`",
                expr.to_token_stream()
            ),
        )),
    }
}

/// "`a`, `b` or `c`"
pub fn quoted_list(items: &[&str]) -> String {
    let q: Vec<String> = items.iter().map(|s| format!("`{s}`")).collect();
    match q.len() {
        0 => String::new(),
        1 => q[0].clone(),
        n => format!("{} or {}", q[..n - 1].join(", "), q[n - 1]),
    }
}
