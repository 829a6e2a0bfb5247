"""One deployable copy of the auction system (`AuctionStage`) and its per-stage settings."""
