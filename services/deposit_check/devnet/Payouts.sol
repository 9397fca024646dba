// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title Contracts that pay native coin through internal calls, as exchanges and smart wallets do.
/// @notice Test use only: the tests check that a deposit paid this way is counted, and that a
/// payment undone by a revert inside a successful tx is not.
contract Payouts {
    /// Pays `to` the value sent with the call through one internal call (a forwarder, a smart wallet).
    function forward(address payable to) external payable {
        (bool ok, ) = to.call{value: msg.value}("");
        require(ok, "forward failed");
    }

    /// Pays each `to[i]` its `amounts[i]` in one tx (an exchange's batch payout).
    function batch(address payable[] calldata to, uint256[] calldata amounts) external payable {
        require(to.length == amounts.length, "lengths differ");
        for (uint256 i = 0; i < to.length; i++) {
            (bool ok, ) = to[i].call{value: amounts[i]}("");
            require(ok, "payout failed");
        }
    }

    /// Asks `relay` to pay `to` and catches its revert: `relay`'s payment to `to` succeeded inside a
    /// frame that reverted, so nothing reached `to`, and this tx still succeeds. The value stays here.
    function forwardThroughFailing(Relay relay, address payable to) external payable {
        try relay.payThenRevert{value: msg.value}(to) {} catch {}
    }

    /// Calls `relay` with a low-level call that fails (it reverts before paying); the tx succeeds.
    function callFailing(Relay relay, address payable to) external payable {
        (bool ok, ) = address(relay).call{value: msg.value}(abi.encodeCall(Relay.revertAtOnce, (to)));
        ok; // ignored on purpose: the failed call is the point
    }
}

/// @title The other end of `Payouts`' failing paths.
contract Relay {
    /// Pays `to` (that inner call succeeds), then reverts: the payment is undone with this frame.
    function payThenRevert(address payable to) external payable {
        (bool ok, ) = to.call{value: msg.value}("");
        require(ok, "pay failed");
        revert("undone");
    }

    /// Reverts before paying anything.
    function revertAtOnce(address payable) external payable {
        revert("refused");
    }
}
