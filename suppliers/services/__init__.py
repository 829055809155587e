"""The only code that changes suppliers and their money, one function per business action:
`status` (onboarding and the state machine), `ledger` (the deposit), `jit` (JIT enrolment),
`members` (invitations and ownership)."""
