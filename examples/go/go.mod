module flatline.example/heartbeat

go 1.22
