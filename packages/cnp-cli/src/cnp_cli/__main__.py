from cnp_cli.app import main

main()
