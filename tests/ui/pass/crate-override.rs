// `#[staticnet(crate = ...)]` points the generated code at staticnet where a
// crate re-exports it (quoted, like serde's `crate = "..."`, or a bare path).
mod reexport {
    pub use staticnet as nn;
}

use staticnet as other;

staticnet::network! {
    #[staticnet(crate = "reexport::nn")]
    pub struct Tiny {
        input: [2],
        dense(3), relu,
        dense(1),
    }
}

staticnet::network! {
    /// Budget checks and the streaming API go through the override too.
    #[budget(ram = 65536)]
    #[staticnet(crate = other)]
    pub struct Seq {
        input: [4, 3],
        gru(5, sequence = false),
        dense(2),
    }
}

use staticnet::Network;

fn main() {
    let net = Tiny::new_boxed(1);
    let mut ws = Tiny::new_workspace();
    assert!(net.forward(&[0.5, -0.5], &mut ws)[0].is_finite());

    let seq = Seq::new_boxed(2);
    let mut stream = SeqStream::ZEROED;
    assert!(seq.step(&[0.1; 3], &mut stream).iter().all(|v| v.is_finite()));
}
