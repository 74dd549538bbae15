staticnet::network! {
    #[staticnet(crate = 42)]
    struct Net {
        input: [4],
        dense(2),
    }
}

fn main() {}
