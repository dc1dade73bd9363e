from koclaw.cli import main

main()
