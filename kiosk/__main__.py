from backend.cli import main

main(["kiosk", *__import__("sys").argv[1:]])
