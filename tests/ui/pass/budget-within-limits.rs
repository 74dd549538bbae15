// Budgets that hold: weights in flash, workspace within 1 KiB.
staticnet::network! {
    /// Documented, budgeted.
    #[budget(workspace = 1024, state = 1284)]
    pub struct Sine {
        input: [1],
        dense(16), relu,
        dense(16), relu,
        dense(1),
    }
}

use staticnet::{memory, Network};

fn main() {
    assert_eq!(memory::state_bytes::<Sine>(), 1284);
    assert_eq!(memory::workspace_bytes::<Sine>(), 132);
    assert_eq!(memory::state_bytes::<Sine>(), Sine::PARAMS * 4);
    assert!(memory::training_bytes::<Sine, 8>(2) > memory::cache_bytes::<Sine, 8>());
}
