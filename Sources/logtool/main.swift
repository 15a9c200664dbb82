print("logtool")
