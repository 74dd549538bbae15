// Cargo's package name, not the Rust path (`my_lib`).
staticnet::network! {
    #[staticnet(crate = "my-lib::staticnet")]
    struct Net {
        input: [4],
        dense(2),
    }
}

fn main() {}
