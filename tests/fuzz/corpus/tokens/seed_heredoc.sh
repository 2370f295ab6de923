cat <<-"EOF" <<X
	body
	EOF
x
X
$'\n' ${a#b} $# a#b