@"
 $x "quoted"
"@ <# open