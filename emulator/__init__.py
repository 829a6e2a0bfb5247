"""The auction system on a local emulation of AWS: moto in-process, the real handlers, and
the state machine definition CDK synthesized. Used by `make demo`, `make serve` and tests."""
