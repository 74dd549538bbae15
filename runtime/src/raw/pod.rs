//! [`param_block!`]: the parameter blocks of [`crate::layers`] declared once,
//! with their `Pod` impls (bytemuck's derive cannot check the padding of
//! generic structs, so the impl is written here, where its proof is).

/// Declares parameter blocks: each `pub struct Name<const N: usize, ...>`
/// whose fields are `f32`, `i32` or (nested) arrays of them gets `#[repr(C)]`,
/// `Clone`, `Copy`, `Debug`, `Zeroable`, `Pod` and `ZEROED` (all zeros, for
/// `static` initialisers). A field of any other type does not compile
/// (`zeroed!` accepts nothing else), which is what the `Pod` impl relies on.
macro_rules! param_block {
    ($(
        $(#[$meta:meta])*
        pub struct $name:ident<$(const $g:ident: usize),+> {
            $($(#[$fmeta:meta])* pub $field:ident: $ty:tt,)+
        }
    )+) => {$(
        $(#[$meta])*
        #[repr(C)]
        #[derive(Clone, Copy, Debug, ::bytemuck::Zeroable)]
        pub struct $name<$(const $g: usize),+> {
            $($(#[$fmeta])* pub $field: $ty,)+
        }

        impl<$(const $g: usize),+> $name<$($g),+> {
            /// All zeros, for `static` initialisers.
            pub const ZEROED: Self = Self {
                $($field: $crate::raw::zeroed!($ty),)+
            };
        }

        // SAFETY: `#[repr(C)]`, and every field is `f32`, `i32` or a (nested)
        // array of them (`zeroed!` above compiles for nothing else):
        // alignment 4, sizes multiples of 4, so `repr(C)` inserts no padding
        // between or after the fields; every bit pattern is a valid `f32` and
        // a valid `i32`, hence a valid value of the struct. It is `Copy` and `'static` (no references),
        // and `Zeroable` by derive.
        #[allow(unsafe_code, reason = "the proof is the macro's, in `raw/`")]
        unsafe impl<$(const $g: usize),+> ::bytemuck::Pod for $name<$($g),+> {}
    )+};
}

/// The zero value of a field type of [`param_block!`]: `f32`, `i32` or a
/// (nested) array of them; any other type is a compile error.
macro_rules! zeroed {
    (f32) => {
        0.0
    };
    (i32) => {
        0
    };
    ([$inner:tt; $n:expr]) => {
        [$crate::raw::zeroed!($inner); $n]
    };
}

pub(crate) use {param_block, zeroed};
