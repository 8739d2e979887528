//! `abi::assign`, the one place System V argument placement is computed.

use backend_x86::abi::{assign, ArgLoc};
use backend_x86::enc::reg::*;
use jit_core::ir::CType::{F64, I32, I64};

#[test]
fn each_class_counts_on_its_own_and_the_rest_is_stacked_in_order() {
    let params = [
        I32, F64, I64, F64, I32, I32, I32, I32, I64, F64, F64, F64, F64, F64, F64, F64, I32,
    ];
    let (places, stacked) = assign(&params);
    assert_eq!(
        places,
        [
            ArgLoc::Int(RDI),
            ArgLoc::Float(0),
            ArgLoc::Int(RSI),
            ArgLoc::Float(1),
            ArgLoc::Int(RDX),
            ArgLoc::Int(RCX),
            ArgLoc::Int(R8),
            ArgLoc::Int(R9),
            ArgLoc::Stack(0),
            ArgLoc::Float(2),
            ArgLoc::Float(3),
            ArgLoc::Float(4),
            ArgLoc::Float(5),
            ArgLoc::Float(6),
            ArgLoc::Float(7),
            ArgLoc::Stack(8),
            ArgLoc::Stack(16),
        ]
    );
    assert_eq!(stacked, 24);
    assert_eq!(assign(&[]), (vec![], 0));
}
