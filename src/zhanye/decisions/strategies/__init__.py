"""Built-in strategies shipped with the demo bank, as real JDM graphs with their test suites."""
