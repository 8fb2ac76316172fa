"""`python -m modelward ...`: the same CLI as the `modelward` command."""

from modelward.cli.main import main

main()
