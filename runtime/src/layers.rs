//! Parameter blocks of the layer kinds, as fixed-size arrays in PyTorch layout.
//!
//! A generated network is a `#[repr(C)]` struct with one field per
//! parameterised layer, each of one of these types. Each block is declared
//! once, in its kind's kernel file, with `param_block!` (in `raw/pod.rs`),
//! which gives it `#[repr(C)]`, `Clone`, `Copy`, `Debug`, `Zeroable`, `Pod`
//! and a `ZEROED` constant (all zeros, for `static` initialisers); the fields
//! stay in the order written, so layouts (and weights files) do not change.
//! This module re-exports them all, as the list of kinds (`staticnet-kinds`)
//! names them.

/// Re-exports every kind's parameter blocks, as the list of kinds names them.
macro_rules! blocks {
    ($($kind:ident $({ $($block:ident),+ })?,)*) => {
        $($(pub use crate::kernels::$kind::{$($block),+};)?)*
    };
}

staticnet_kinds::for_each_kind!(blocks);

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::{offset_of, size_of};

    /// The layouts weights files and PyTorch fixtures rely on: the fields in
    /// the order written, no padding.
    #[test]
    fn blocks_are_their_fields_in_order() {
        assert_eq!(size_of::<Dense<3, 2>>(), 4 * (6 + 2));
        assert_eq!(offset_of!(Dense<3, 2>, bias), 4 * 6);
        assert_eq!(size_of::<Conv2d<4, 2, 3, 3>>(), 4 * (72 + 4));
        assert_eq!(offset_of!(BatchNormStats<3>, num_batches_tracked), 4 * 6);
        assert_eq!(size_of::<BatchNormStats<3>>(), 4 * 7);
        assert_eq!(
            offset_of!(Recurrent<8, 3, 2>, bias_hh_l0),
            4 * (24 + 16 + 8)
        );
        assert_eq!(offset_of!(Attention<2, 6>, out_proj_bias), 4 * (12 + 6 + 4));
    }

    #[test]
    fn zeroed_is_all_zeros() {
        let block = Recurrent::<8, 3, 2>::ZEROED;
        let floats: &[f32] = bytemuck::cast_slice(core::slice::from_ref(&block));
        assert_eq!(floats.len(), 24 + 16 + 8 + 8);
        assert!(floats.iter().all(|v| v.to_bits() == 0));
    }
}
