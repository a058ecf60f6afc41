from magwatch.cli import main

main()
