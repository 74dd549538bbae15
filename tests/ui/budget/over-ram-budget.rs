// The sine network with its weights in RAM needs 1416 bytes (1284 of
// parameters + 132 of workspace), over a 1 KiB budget.
staticnet::network! {
    #[budget(ram = 1024)]
    pub struct Sine {
        input: [1],
        dense(16), relu,
        dense(16), relu,
        dense(1),
    }
}

fn main() {}
