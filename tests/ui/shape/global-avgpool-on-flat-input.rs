staticnet::network! {
    struct Net {
        input: [10],
        global_avgpool,
    }
}

fn main() {}
