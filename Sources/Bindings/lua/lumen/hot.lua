-- Hot reload (filled in below).
local hot = {}
function hot.poll() end
return hot
