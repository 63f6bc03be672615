-- wrk script: cycles through a list of tile paths (one per line in the file given after `--`), each thread from
-- its own offset, so after the first pass every request is for a tile a cache already holds.
local paths = {}
local next_index = 1
function setup(thread)
  thread:set("offset", math.random(0, 255))
end
function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then paths[#paths + 1] = line end
  end
  next_index = (tonumber(offset) or 0) % #paths + 1
end
function request()
  local p = paths[next_index]
  next_index = next_index % #paths + 1
  return wrk.format("GET", p)
end
