"""One error tree for the service, under desk_common's `DeskError`: answered as HTTP by its one handler."""

from desk_common.errors import DeskError


class DepositCheckError(DeskError):
    """Base of every error this service raises on purpose."""


class InvalidRequest(DepositCheckError):
    """The request is well-formed JSON but says something we cannot check."""

    status_code = 422
    code = "invalid_request"


class InvalidTxHash(InvalidRequest):
    """The transaction hash is not a hash of any configured chain family."""

    code = "invalid_tx_hash"


class InvalidAddress(InvalidRequest):
    """The address is malformed or belongs to another chain or network."""

    code = "invalid_address"


class UnknownChain(InvalidRequest):
    """The chain named is not configured."""

    code = "unknown_chain"


class UnknownAsset(InvalidRequest):
    """The asset named is not known on the chain."""

    code = "unknown_asset"


class NodeUnavailable(DepositCheckError):
    """No node of the chain answered usefully; the truth is unknown, never 'not found'."""

    status_code = 503
    code = "unavailable"

    def __init__(self, message: str, chain: str | None = None) -> None:
        super().__init__(message)
        self.chain = chain


class UnknownBlock(DepositCheckError):
    """The node does not know a block with that hash: a fact (e.g. during a reorg walk), not an outage."""

    code = "unknown_block"

    def __init__(self, message: str, block_hash: str) -> None:
        super().__init__(message)
        self.block_hash = block_hash
