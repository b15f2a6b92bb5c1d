"""Decision engine: versioned JDM decision graphs evaluated on zen-engine, test suites, batch
regression, champion/challenger, scorecards. Lending calls ``decisions.service.decide``."""
