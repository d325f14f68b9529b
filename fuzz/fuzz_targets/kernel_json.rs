//! Plans and kernel states read from JSON (support bundles, hand-written inputs): reading,
//! printing and applying them to the simulated kernel never panics, the simulated kernel
//! never reaches a state Linux could not hold, and a state that validates is reached from an
//! empty host in one reconcile round.
#![no_main]

use libfuzzer_sys::fuzz_target;
use overlaynet::kernel::sim::SimKernel;
use overlaynet::kernel::{Kernel, KernelState, Plan, Scope, diff, reconcile};

/// A Docker-shaped host to apply plans to.
const HOST: &str = include_str!("../corpus/kernel_json/docker_host_state.json");

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let scope = Scope::docker();

    if let Ok(plan) = Plan::from_json(text) {
        let _ = plan.to_string();
        let _ = plan.display_with_secrets().to_string();
        let _ = plan.to_json();
        let host = KernelState::from_json(HOST).expect("seed host parses");
        let mut sim = SimKernel::with_state(scope.clone(), host).expect("seed host is valid");
        let report = sim.apply(&plan);
        assert_eq!(report.outcomes.len(), plan.len());
        if let Err(e) = sim.state().validate() {
            panic!("the sim reached a state Linux cannot hold: {e}");
        }
    }

    if let Ok(state) = KernelState::from_json(text) {
        let _ = state.to_json();
        let _ = diff(&KernelState::default(), &state, &scope).to_string();
        if state.validate().is_ok() {
            // A valid desired state is reached from an empty host in one round.
            let mut sim = SimKernel::new(scope.clone());
            let round = reconcile(&state, &scope, &mut sim).expect("valid and observable");
            assert!(round.is_success(), "{}\n{:?}", round.plan, round.apply);
            let again = diff(sim.state(), &state, &scope);
            assert!(again.is_empty(), "left over:\n{again}");
            if let Err(e) = sim.state().validate() {
                panic!("the sim reached a state Linux cannot hold: {e}");
            }
        }
    }
});
